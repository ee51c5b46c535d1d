package io.depot.iscsi.scsi;

import static io.depot.iscsi.scsi.BlockLimits.BLOCK_SHIFT;

import io.depot.iscsi.backstore.BackstoreFailure;
import io.depot.iscsi.backstore.BlockBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mapped backend as a SCSI direct-access block device: 512-byte logical blocks on 4 KiB
 * physical blocks. Runs a command through the fixed order of checks (unit attention, CDB fields,
 * reservation, write protection), calls its handler, and maps every failure to sense data here
 * and nowhere else.
 *
 * <p>Thread-safe: many nexuses run commands at once; the only mutable state is the unit
 * attention queues, the mode pages and the last capacity seen, each safe on its own.
 */
final class LogicalUnit {
    private static final Logger log = LoggerFactory.getLogger(LogicalUnit.class);

    private static final int INQUIRY = 0x12;
    private static final int REQUEST_SENSE = 0x03;
    private static final int REPORT_LUNS = 0xa0;

    private final ScsiTarget target;
    private final BlockBackend backend;
    private final Reservations reservations;
    private final UnitAttentions unitAttentions = new UnitAttentions();
    private final ModePages modePages = new ModePages();
    private final byte[] naa;
    private final String serial;
    /** Size last reported to initiators; a change raises CAPACITY DATA HAS CHANGED (SBC-3 §4.10). */
    private volatile long knownSizeBytes;

    LogicalUnit(ScsiTarget target, BlockBackend backend, ReservationsFactory reservationsFactory) {
        this.target = target;
        this.backend = backend;
        this.reservations = reservationsFactory.create(backend, unitAttentions::raise);
        this.naa = DeviceIdentity.naa(backend.uuid());
        this.serial = DeviceIdentity.serial(backend.uuid());
        this.knownSizeBytes = backend.sizeBytes();
    }

    ScsiTarget target() { return target; }

    BlockBackend backend() { return backend; }

    Reservations reservations() { return reservations; }

    CopyOffload copyOffload() { return target.copyOffload(); }

    ModePages modePages() { return modePages; }

    UnitAttentions unitAttentions() { return unitAttentions; }

    byte[] naa() { return naa.clone(); }

    String serial() { return serial; }

    /** Number of logical blocks (a partial trailing block of the backend is not addressable). */
    long capacityBlocks() { return backend.sizeBytes() >>> BLOCK_SHIFT; }

    ScsiResult execute(ScsiCommand command) {
        CommandSpec spec = null;
        try {
            noticeCapacityChange();
            byte[] cdb = command.cdb();
            int op = cdb[0] & 0xff;
            // SAM-5 §5.14 / SPC-4 §5.14: INQUIRY, REPORT LUNS and REQUEST SENSE run without reporting
            // (or clearing) a pending unit attention; every other command reports the oldest one.
            if (op != INQUIRY && op != REPORT_LUNS && op != REQUEST_SENSE) {
                SenseReason ua = unitAttentions.take(command.nexus());
                if (ua != null) {
                    return Sense.check(ua);
                }
            }
            spec = target.commands().lookup(cdb);
            spec.validate(cdb);
            if (reservations.conflicts(command.nexus(), cdb)) {
                return new ScsiResult(ScsiResult.RESERVATION_CONFLICT, null, null);
            }
            if (spec.writes() && backend.readOnly()) {
                throw ScsiFailure.of(SenseReason.WRITE_PROTECTED);
            }
            return spec.handler().run(this, command);
        } catch (ScsiFailure f) {
            return Sense.check(f.sense());
        } catch (BackstoreFailure f) {
            return Sense.check(sense(f, spec));
        } catch (RuntimeException e) {
            log.error("{}: {} failed unexpectedly", backend, spec == null ? "command" : spec.name(), e);
            return Sense.check(SenseReason.INTERNAL_TARGET_FAILURE);
        }
    }

    /**
     * A backstore failure as sense data. A medium error is reported by what the command does, not
     * by the backstore call that failed: WRITE ERROR for a command that writes (ORWRITE's read
     * too), UNRECOVERED READ ERROR otherwise.
     */
    private byte[] sense(BackstoreFailure f, CommandSpec spec) {
        boolean writes = spec != null && spec.writes();
        String command = spec == null ? "command" : spec.name();
        switch (f.reason()) {
            case MEDIUM_ERROR -> log.warn("{}: {} failed: {}", backend, command, String.valueOf(f.getCause()));
            // the engine logs each damaged block once with pool, volume and offset; per-I/O detail stays at debug
            case DAMAGED_DATA -> log.debug("{}: {} read damaged data: {}", backend, command, String.valueOf(f.getCause()));
            default -> { }
        }
        SenseReason reason = SenseReason.ofBackstore(f.reason(), writes);
        if (!f.hasInformation()) {
            return Sense.fixed(reason);
        }
        // damage is reported by LBA (SBC-3 §4.18.1), a miscompare by its byte offset in the compared data
        long information = f.reason() == BackstoreFailure.Reason.DAMAGED_DATA ? f.information() >>> BLOCK_SHIFT : f.information();
        return Sense.withInformation(reason, information);
    }

    private void noticeCapacityChange() {
        long size = backend.sizeBytes();
        long known = knownSizeBytes;
        if (size != known) {
            synchronized (this) {
                if (knownSizeBytes != size) {
                    knownSizeBytes = size;
                    unitAttentions.raiseForOthers(null, SenseReason.CAPACITY_DATA_CHANGED);
                }
            }
        }
    }

    void nexusAdded(ItNexus nexus, SenseReason initial) { unitAttentions.register(nexus, initial); }

    void nexusRemoved(ItNexus nexus) {
        unitAttentions.unregister(nexus);
        reservations.nexusRemoved(nexus);
    }

    /** LOGICAL UNIT RESET (SAM-5 §7.7): RESERVE released, mode pages to defaults, every nexus told (the requester too). */
    void reset(ItNexus requester) {
        reservations.lunReset();
        modePages.reset();
        unitAttentions.raiseForOthers(null, SenseReason.BUS_DEVICE_RESET);
    }

    @Override
    public String toString() { return "LU " + backend; }
}
