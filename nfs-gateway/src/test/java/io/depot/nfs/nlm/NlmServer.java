package io.depot.nfs.nlm;

import io.depot.nfs.rpc.RpcServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An NLM server on a loopback port over a stand-in for the datastore's handles: an 8-byte handle
 * names the file of that number, unless the test removed it; any other handle is bogus. The hosts
 * it asks to monitor are recorded.
 */
final class NlmServer implements AutoCloseable {
    final Set<Long> removed = ConcurrentHashMap.newKeySet();
    final List<String> monitored = new CopyOnWriteArrayList<>();
    final NlmService nlm;
    final RpcServer server;
    final InetSocketAddress address;

    NlmServer(NlmSettings settings) {
        nlm = new NlmService(this::resolve, (host, client) -> monitored.add(host), settings);
        server = RpcServer.builder().build();
        server.register(nlm.program());
        try {
            address = server.listen(new InetSocketAddress("127.0.0.1", 0));
        } catch (IOException e) {
            server.close();
            throw new UncheckedIOException(e);
        }
    }

    NlmServer() {
        this(NlmSettings.defaults());
    }

    static byte[] fh(long file) {
        return ByteBuffer.allocate(8).putLong(file).array();
    }

    private OptionalLong resolve(byte[] fh) {
        if (fh.length != 8) {
            return OptionalLong.empty();
        }
        long file = ByteBuffer.wrap(fh).getLong();
        return removed.contains(file) ? OptionalLong.empty() : OptionalLong.of(file);
    }

    NlmClient client(int version, String callerName) throws IOException {
        return new NlmClient(address, version, callerName);
    }

    @Override
    public void close() {
        server.close();
        nlm.close();
    }
}
