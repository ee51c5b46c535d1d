package io.depot.nfs.mount;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Two exports: /open for everyone, /private only for 10.9.9.9. */
public final class TestExports implements ExportTable {
    record Exp(String path, List<String> clients) implements Export {}

    static final Exp OPEN = new Exp("/open", List.of());
    static final Exp PRIVATE = new Exp("/private", List.of("10.9.9.9"));

    @Override
    public Export find(String path) {
        return all().stream().filter(e -> e.path().equals(path)).findFirst().orElse(null);
    }

    @Override
    public List<Exp> all() { return List.of(OPEN, PRIVATE); }

    @Override
    public boolean allows(Export export, InetAddress client) {
        return export.clients().isEmpty() || export.clients().contains(client.getHostAddress());
    }

    @Override
    public byte[] rootHandle(Export export) {
        return ("root:" + export.path()).getBytes(StandardCharsets.UTF_8);
    }
}
