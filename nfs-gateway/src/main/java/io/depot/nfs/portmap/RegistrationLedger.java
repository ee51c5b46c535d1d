package io.depot.nfs.portmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Depot's record of what it registered with a system portmapper, the only evidence that an entry
 * there is ours: rpcbind's owner field names a uid ("superuser" for every root server alike), so
 * it cannot tell Depot's entries from nfs-ganesha's or mountd's.
 *
 * <p>The file (by default beside rpcbind's socket, so every Depot that can reach that rpcbind
 * finds it) is locked by the Depot that holds it for as long as it runs. The kernel drops the lock
 * when that process dies, even by kill -9; so a Depot that gets the lock knows the entries recorded
 * there were left by a Depot that is gone, and may replace exactly those (same program, version,
 * netid, address and owner) and nothing else. A Depot that does not get it (another Depot runs)
 * takes only free slots. Text, one line each:
 *
 * <pre>
 * pid 4242
 * via unix /run/rpcbind.sock
 * entry 100003 3 tcp 0.0.0.0.8.1 superuser
 * </pre>
 */
final class RegistrationLedger implements AutoCloseable {
    private static final int MAX_BYTES = 1 << 20;

    private final Path file;
    private final String via;
    private final FileChannel channel;
    private final List<RpcbindEntry> previous;
    private final String whyNotHeld;

    private RegistrationLedger(Path file, String via, FileChannel channel, List<RpcbindEntry> previous, String whyNotHeld) {
        this.file = file;
        this.via = via;
        this.channel = channel;
        this.previous = previous;
        this.whyNotHeld = whyNotHeld;
    }

    /**
     * Takes the ledger at {@code file} for registrations with the portmapper {@code via} names.
     * Never fails: a ledger that cannot be taken is returned unheld, with the reason.
     */
    static RegistrationLedger claim(Path file, String via) {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // another advertiser of this JVM holds it
            }
            if (lock == null) {
                String holder = pidIn(read(ch));
                ch.close();
                return new RegistrationLedger(file, via, null, List.of(),
                        "another Depot" + (holder.isEmpty() ? "" : " (pid " + holder + ")") + " holds " + file);
            }
            return new RegistrationLedger(file, via, ch, entriesFor(read(ch), via), null);
        } catch (IOException e) {
            closeQuietly(ch);
            return new RegistrationLedger(file, via, null, List.of(), file + " cannot be used (" + e.getMessage() + ")");
        }
    }

    /** The names a portmapper reached through its Unix socket. */
    static String viaSocket(Path socket) {
        return "unix " + socket.toAbsolutePath();
    }

    /**
     * The names a portmapper reached over TCP: loopback port 111 is a different portmapper in
     * every network namespace, so the namespace is part of the name.
     */
    static String viaTcp(int port) {
        String netns;
        try {
            netns = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            netns = "net:[unknown]";
        }
        return "tcp 127.0.0.1:" + port + " " + netns;
    }

    boolean held() {
        return channel != null;
    }

    /** Why the ledger is not held (null when it is). */
    String whyNotHeld() {
        return whyNotHeld;
    }

    /** Entries a Depot that is gone registered with this same portmapper (empty unless held). */
    List<RpcbindEntry> previous() {
        return previous;
    }

    /** Replaces the record with {@code entries}, made durable before Depot relies on it. */
    void record(List<RpcbindEntry> entries) throws IOException {
        if (channel == null) {
            return;
        }
        StringBuilder text = new StringBuilder("pid ").append(ProcessHandle.current().pid()).append('\n')
                .append("via ").append(via).append('\n');
        for (RpcbindEntry e : entries) {
            text.append("entry ").append(e.program()).append(' ').append(e.version()).append(' ').append(e.netid())
                    .append(' ').append(e.address()).append(' ').append(e.owner().isEmpty() ? "-" : e.owner()).append('\n');
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)), 0);
        channel.force(true);
    }

    /** Lets the next Depot take the ledger with the record as it is (we registered nothing it lacks). */
    void release() {
        closeQuietly(channel);
    }

    /** Empties the record (nothing of ours remains registered) and lets the next Depot take it. */
    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        try {
            channel.truncate(0); // never deleted: a Depot opening it meanwhile would lock a different file
            channel.force(true);
        } catch (IOException e) {
            // the next Depot finds entries that are no longer registered, and ignores them
        }
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return file.toString();
    }

    private static String read(FileChannel ch) throws IOException {
        long size = Math.min(ch.size(), MAX_BYTES);
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // read the whole (small) file
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    private static String pidIn(String text) {
        return text.lines().filter(l -> l.startsWith("pid ")).map(l -> l.substring(4).trim()).findFirst().orElse("");
    }

    /** The recorded entries, when the record is of the same portmapper; a damaged line is skipped. */
    private static List<RpcbindEntry> entriesFor(String text, String via) {
        if (!text.lines().anyMatch(l -> l.equals("via " + via))) {
            return List.of();
        }
        List<RpcbindEntry> out = new ArrayList<>();
        for (String line : text.lines().toList()) {
            String[] f = line.split(" ");
            if (f.length == 6 && f[0].equals("entry")) {
                try {
                    out.add(new RpcbindEntry(Integer.parseInt(f[1]), Integer.parseInt(f[2]), f[3], f[4], f[5].equals("-") ? "" : f[5]));
                } catch (NumberFormatException e) {
                    // not ours to interpret: skip
                }
            }
        }
        return List.copyOf(out);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }
}
