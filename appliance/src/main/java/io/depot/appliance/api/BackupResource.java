package io.depot.appliance.api;

import io.depot.appliance.api.Views.SnapshotView;
import io.depot.appliance.api.Views.VolumeView;
import io.depot.appliance.backup.BackupExport;
import io.depot.appliance.backup.BackupImport;
import io.depot.appliance.backup.BackupStreamException;
import io.depot.appliance.backup.ImportRefusedException;
import io.depot.appliance.daemon.Appliance;
import io.depot.engine.DataCorruptionException;
import io.depot.engine.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backup streams (docs/backup-format.md): {@code GET .../snapshots/{s}/export[?since=OLDER]} sends a
 * snapshot, whole or as the changes since an older one, as {@code application/octet-stream};
 * {@code POST /volumes/{v}/import} takes such a stream and restores it (a full stream into a new
 * volume, an incremental onto the volume restored from its base; see {@link BackupImport}). Both
 * stream: nothing holds more than one record (1 MiB) of the image in memory.
 */
final class BackupResource {
    private static final Logger log = LoggerFactory.getLogger(BackupResource.class);
    /** Transfers hold an API worker each for their whole length: two at a time leave the others to the control plane. */
    private static final int TRANSFERS = 2;

    private final Appliance appliance;
    private final VolumeResource volumes;
    private final Semaphore transfers = new Semaphore(TRANSFERS);

    BackupResource(Appliance appliance, VolumeResource volumes) {
        this.appliance = appliance;
        this.volumes = volumes;
    }

    void register(Router r) {
        r.add("GET", "/api/v1/volumes/{volume}/snapshots/{snapshot}/export", this::export);
        r.addUpload("POST", "/api/v1/volumes/{volume}/import", this::importStream);
    }

    /** What an import made. */
    record ImportView(VolumeView volume, SnapshotView snapshot, boolean incremental, String source, String base,
                      long records, long dataBytes, long zeroBytes, long streamBytes) {}

    private Response export(Request req) {
        Snapshot s = volumes.volume(req).snapshot(req.param("snapshot"));
        String since = req.query().get("since");
        Snapshot base = since == null || since.isEmpty() ? null : s.volume().snapshot(since);
        BackupExport export = BackupExport.of(appliance.pool(), s, base);
        claimTransfer();
        log.info("exporting {}: {} bytes in {} extents", export.header().describe(), export.length(), export.extents());
        return Response.ok(new ApiServer.StreamingBody() {
            @Override
            public long length() { return export.length(); }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                try {
                    export.writeTo(out);
                } catch (DataCorruptionException e) {
                    // damaged data is never sent: the stream stops short of its trailer, so no import accepts it
                    log.error("export of {} cut short: {} (the client gets a truncated stream; a new export is refused"
                            + " until the damage is restored or overwritten)", export.header().describe(), e.getMessage());
                    throw new IOException("export refused: " + e.getMessage(), e);
                } catch (RuntimeException e) {
                    // the snapshot went away mid-stream, or the disk failed: the client gets a short stream
                    log.warn("export of {} failed after it started: {}", export.header().describe(), e.toString());
                    throw new IOException("export failed: " + e.getMessage(), e);
                }
            }

            @Override
            public void finished() {
                transfers.release();
            }
        });
    }

    /** {@code ?force=true}: an incremental may discard what was written on the volume since its base snapshot. */
    private Response importStream(Request req, InputStream body) throws Exception {
        String name = req.param("volume");
        if (appliance.isNfsFileVolume(name)) {
            throw ApiException.conflict("nfs-owned", name + " is a file of the NFS gateway; manage it over NFS");
        }
        claimTransfer();
        try {
            BackupImport.Result r = new BackupImport(appliance).run(name, body, req.flag("force"));
            var h = r.header();
            return Response.created("/api/v1/volumes/" + r.volume().name(), new ImportView(VolumeView.of(r.volume(), java.util.List.of()),
                    SnapshotView.of(r.snapshot(), false), h.incremental(), h.volumeName() + "@" + h.snapshotName(), h.baseName(),
                    r.totals().records(), r.totals().dataBytes(), r.totals().zeroBytes(), r.totals().streamBytes()));
        } catch (BackupStreamException e) {
            throw new ApiException(400, "bad-stream", e.getMessage());
        } catch (ImportRefusedException e) {
            throw ApiException.conflict(e.code(), e.getMessage());
        } catch (IOException e) {
            throw new ApiException(400, "bad-stream", "reading the stream failed (did the upload break off?): " + e.getMessage());
        } finally {
            transfers.release();
        }
    }

    private void claimTransfer() {
        if (!transfers.tryAcquire()) {
            throw new ApiException(503, "busy", TRANSFERS + " backup transfers are running already; retry when one has finished");
        }
    }
}
