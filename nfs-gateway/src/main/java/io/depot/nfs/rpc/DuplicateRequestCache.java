package io.depot.nfs.rpc;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * Duplicate request cache for non-idempotent procedures. A client that loses a reply (a dropped
 * connection) resends the call with the same xid; executing a REMOVE or CREATE twice would turn
 * a success into NOENT or EXIST. The cache remembers recent replies and hands the first one back.
 *
 * <p>Keys: client IP address (not port: the retransmission usually comes on a new connection),
 * xid, program, version, procedure, and a CRC32C and length of the arguments, so a client that
 * reuses an xid for a different call is not mistaken for a retransmission.
 *
 * <p>Bounded: at most {@code maxEntries} entries, oldest evicted first; replies above
 * {@code maxReplyBytes} are not kept (the call is then re-executed on a retransmission).
 */
public final class DuplicateRequestCache {
    public record Key(InetAddress client, int xid, int program, int version, int procedure, int argsCrc, int argsLength) {}

    /** What to do with a call. */
    public sealed interface Lookup permits Lookup.Execute, Lookup.InProgress, Lookup.Replay {
        /** First time seen: execute, then {@link #complete} or {@link #abandon}. */
        record Execute() implements Lookup {}
        /** The original is still executing: drop the retransmission, the original's reply will answer it. */
        record InProgress() implements Lookup {}
        /** Already answered: send these reply bytes again. */
        record Replay(byte[] reply) implements Lookup {}
    }

    private static final Lookup.Execute EXECUTE = new Lookup.Execute();
    private static final Lookup.InProgress IN_PROGRESS = new Lookup.InProgress();
    private static final byte[] PENDING = new byte[0];

    private final int maxEntries;
    private final int maxReplyBytes;
    private final LinkedHashMap<Key, byte[]> entries = new LinkedHashMap<>();
    private final AtomicLong replays = new AtomicLong();

    public DuplicateRequestCache(int maxEntries, int maxReplyBytes) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.maxReplyBytes = maxReplyBytes;
    }

    /** The key of a call; {@code args} is read without moving its reader index. */
    public static Key key(RpcCall call, ByteBuf args) {
        CRC32C crc = new CRC32C();
        for (ByteBuffer b : args.nioBuffers(args.readerIndex(), args.readableBytes())) {
            crc.update(b);
        }
        return new Key(call.remote().getAddress(), call.xid(), call.program(), call.version(), call.procedure(),
                (int) crc.getValue(), args.readableBytes());
    }

    public synchronized Lookup begin(Key key) {
        byte[] reply = entries.get(key);
        if (reply == PENDING) {
            replays.incrementAndGet();
            return IN_PROGRESS;
        }
        if (reply != null) {
            replays.incrementAndGet();
            return new Lookup.Replay(reply);
        }
        entries.put(key, PENDING);
        evict();
        return EXECUTE;
    }

    /** Stores the reply (a copy; {@code reply} is not consumed) of a call {@link #begin} let through. */
    public synchronized void complete(Key key, ByteBuf reply) {
        if (!entries.containsKey(key)) {
            return; // evicted while executing
        }
        if (reply.readableBytes() > maxReplyBytes) {
            entries.remove(key);
            return;
        }
        byte[] bytes = new byte[reply.readableBytes()];
        reply.getBytes(reply.readerIndex(), bytes);
        entries.put(key, bytes);
    }

    /** The call produced no reply (it failed before one existed): forget it so a retransmission executes. */
    public synchronized void abandon(Key key) {
        if (entries.get(key) == PENDING) {
            entries.remove(key);
        }
    }

    private void evict() {
        Iterator<Map.Entry<Key, byte[]>> it = entries.entrySet().iterator();
        while (entries.size() > maxEntries && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    public synchronized int size() { return entries.size(); }

    /** Retransmissions recognised (replayed or dropped as in progress) since start. */
    public long duplicates() { return replays.get(); }
}
