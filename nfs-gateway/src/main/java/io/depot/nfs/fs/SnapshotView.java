package io.depot.nfs.fs;

import io.depot.engine.CatalogNamespace;
import io.depot.engine.DataCorruptionException;
import io.depot.engine.EngineException;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One export snapshot as a read-only file system: the frozen namespace under
 * {@code nfs/s/SID/} (the live layout, see {@link NamespaceKeys}) and each file's bytes from its
 * volume's engine snapshot. Every change answers {@link FsException.ReadOnly}. ".." of the
 * frozen export root is the root itself: what lies above belongs to the protocol layer.
 *
 * <p>Objects are numbered {@code SID << 40 | INO} ({@link #number}), so that their NFS fileids
 * differ from the live files' and a number says which snapshot it belongs to (live inode
 * numbers stay below 2^40).
 */
final class SnapshotView implements ReadOnlyTree {
    private final VirtualFileSystem live;
    private final CatalogNamespace<byte[]> records;
    private final FileVolumes volumes;
    private final ExportSnapshot snapshot;
    private final String prefix;
    private final String engineName;
    private final BoundedCache<Long, Snapshot> files = new BoundedCache<>(256, s -> false);

    SnapshotView(VirtualFileSystem live, CatalogNamespace<byte[]> records, FileVolumes volumes, ExportSnapshot snapshot) {
        this.live = live;
        this.records = records;
        this.volumes = volumes;
        this.snapshot = snapshot;
        this.prefix = ExportSnapshots.frozenPrefix(snapshot.id());
        this.engineName = ExportSnapshots.engineName(snapshot.id());
    }

    @Override
    public FsException.ReadOnly readOnly() {
        return new FsException.ReadOnly("snapshots are read-only");
    }

    static final int NUMBER_SHIFT = 40;
    static final long LIVE_MASK = (1L << NUMBER_SHIFT) - 1;

    /** The number of live inode {@code ino} as seen in snapshot {@code sid}. */
    static long number(int sid, long ino) { return ((long) sid << NUMBER_SHIFT) | ino; }

    /** The snapshot a number belongs to (0: the live file system). */
    static int snapshotOf(long number) { return (int) (number >>> NUMBER_SHIFT); }

    private long frozen(long number) {
        if (snapshotOf(number) != snapshot.id()) {
            throw new FsException.Stale("object " + Long.toHexString(number) + " is not in export snapshot " + snapshot.id());
        }
        return number & LIVE_MASK;
    }

    ExportSnapshot snapshot() { return snapshot; }

    @Override
    public Inode getattr(long number) {
        long ino = frozen(number);
        byte[] b = records.get(prefix + "i/" + NamespaceKeys.hex(ino));
        if (b == null) {
            throw new FsException.Stale("inode " + ino + " is not in export snapshot " + snapshot.id());
        }
        Inode i = Inode.decode(ino, b);
        long parent = ino == snapshot.exportRoot() ? ino : i.parent();
        return i.renumbered(number, i.isDirectory() ? number(snapshot.id(), parent) : 0);
    }

    @Override
    public Inode resolve(String path) {
        Inode cur = getattr(number(snapshot.id(), snapshot.exportRoot()));
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                cur = lookup(Caller.ROOT, cur.ino(), part);
            }
        }
        return cur;
    }

    @Override
    public Inode lookup(Caller caller, long dir, String name) {
        Inode d = directory(dir);
        Permissions.require(d, caller, Permissions.EXECUTE, "lookup");
        Inode dot = selfOrParent(d, name);
        if (dot != null) {
            return dot;
        }
        byte[] v = records.get(prefix + "d/" + NamespaceKeys.hex(frozen(dir)) + "/" + name);
        if (v == null) {
            throw new FsException.NoEntry(name);
        }
        return getattr(number(snapshot.id(), ByteBuffer.wrap(v).getLong()));
    }

    @Override
    public byte[] readlink(Caller caller, long ino) {
        Inode i = getattr(ino);
        if (i.type() != FileType.SYMLINK) {
            throw new FsException.Invalid("not a symbolic link");
        }
        return i.target().clone();
    }

    private Snapshot bytesOf(Inode file) {
        return files.computeIfAbsent(frozen(file.ino()), ino -> {
            Volume v = volumes.volume(file);
            return v.snapshot(engineName);
        });
    }

    @Override
    public ReadResult read(Caller caller, long ino, long offset, int count, ByteBuffer dst) {
        Inode i = getattr(ino);
        if (i.isDirectory()) {
            throw new FsException.IsDirectory("inode " + ino + " is a directory");
        }
        if (!i.isRegular()) {
            throw new FsException.Invalid("inode " + ino + " is not a regular file");
        }
        if (!Permissions.allowsData(i, caller, Permissions.READ)) {
            throw new FsException.AccessDenied("read: permission denied");
        }
        if (offset < 0 || count < 0) {
            throw new FsException.Invalid("offset " + offset + ", count " + count);
        }
        long size = i.size();
        if (offset >= size || count == 0) {
            return new ReadResult(dst.duplicate().position(0).limit(0), offset >= size, i);
        }
        int n = (int) Math.min(count, size - offset);
        long start = offset & ~(long) (Datastore.SECTOR - 1);
        long end = (offset + n + Datastore.SECTOR - 1) & ~(long) (Datastore.SECTOR - 1);
        ByteBuffer b = dst.duplicate().position(0).limit((int) (end - start));
        try {
            bytesOf(i).read(start, b);
        } catch (DataCorruptionException e) {
            throw DamagedReads.report("export snapshot " + snapshot.id(), ino, e);
        } catch (EngineException e) {
            throw EngineErrors.translate(e);
        }
        return new ReadResult(dst.duplicate().limit((int) (offset - start) + n).position((int) (offset - start)), offset + n >= size, i);
    }

    @Override
    public DirPage readdir(Caller caller, long dir, long cookie, int maxEntries, boolean withAttributes) {
        Inode d = directory(dir);
        Permissions.require(d, caller, Permissions.READ, "readdir");
        if (cookie < 0 || (cookie >= Datastore.FIRST_COOKIE && cookie >= d.nextCookie())) {
            throw new FsException.BadCookie("cookie " + cookie + " was never handed out for directory " + dir);
        }
        List<DirEntry> out = new ArrayList<>();
        if (cookie == 0 && out.size() < maxEntries) {
            out.add(new DirEntry(".", d.ino(), 1, withAttributes ? d : null));
        }
        if (cookie <= 1 && out.size() < maxEntries) {
            out.add(new DirEntry("..", d.parent(), 2, withAttributes ? getattr(d.parent()) : null));
        }
        int room = maxEntries - out.size();
        if (room <= 0) {
            return new DirPage(out, false);
        }
        String cookies = prefix + "c/" + NamespaceKeys.hex(frozen(dir)) + "/";
        String after = cookie < Datastore.FIRST_COOKIE ? null : cookies + NamespaceKeys.hex(cookie);
        Map<String, byte[]> page = records.list(cookies, after, room + 1);
        int taken = 0;
        for (Map.Entry<String, byte[]> e : page.entrySet()) {
            if (taken == room) {
                break;
            }
            long child = number(snapshot.id(), ByteBuffer.wrap(e.getValue()).getLong());
            String name = new String(e.getValue(), 8, e.getValue().length - 8, StandardCharsets.UTF_8);
            long c = Long.parseUnsignedLong(e.getKey().substring(cookies.length()), 16);
            out.add(new DirEntry(name, child, c, withAttributes ? getattr(child) : null));
            taken++;
        }
        return new DirPage(out, page.size() <= room);
    }

    @Override
    public long cookieVerifier(long dir) {
        return getattr(dir).generation() & 0xffff_ffffL;
    }

    @Override
    public FsStats fsstat() { return live.fsstat(); }
}
