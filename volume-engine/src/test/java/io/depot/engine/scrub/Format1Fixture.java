package io.depot.engine.scrub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.depot.engine.Pool;
import io.depot.engine.Snapshot;
import io.depot.engine.Volume;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** The checked-in format-1 pool (made by the last format-1 release) and its manifest of SHA-256 per volume and snapshot. */
public final class Format1Fixture {
    private Format1Fixture() {}

    /** Copies the fixture pool into {@code target} (opening it marks it format 2, so never open the original). */
    public static Path copyTo(Path target) throws IOException {
        Path source;
        try {
            source = Path.of(Format1Fixture.class.getResource("/fixtures/format1-pool/pool.properties").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return target;
    }

    /** name (volume, or volume@snapshot) to "size sha256". */
    public static Map<String, String> manifest() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        try (InputStream in = Format1Fixture.class.getResourceAsStream("/fixtures/format1-manifest.properties")) {
            for (String line : new String(in.readAllBytes()).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] kv = line.split(" = ");
                    m.put(kv[0].trim(), kv[1].trim());
                }
            }
        }
        return m;
    }

    /** Reads every volume and snapshot of the manifest and checks its size and SHA-256. */
    public static void assertReadsExactly(Pool pool) throws IOException {
        for (Map.Entry<String, String> e : manifest().entrySet()) {
            String name = e.getKey();
            int at = name.indexOf('@');
            String got;
            if (at < 0) {
                Volume v = pool.volume(name);
                got = v.sizeBytes() + " " + sha(v::read, v.sizeBytes());
            } else {
                Snapshot s = pool.volume(name.substring(0, at)).snapshot(name.substring(at + 1));
                got = s.sizeBytes() + " " + sha(s::read, s.sizeBytes());
            }
            assertEquals(e.getValue(), got, "contents of " + name);
        }
    }

    private interface Reader {
        void read(long offset, ByteBuffer dst);
    }

    private static String sha(Reader r, long size) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(65536);
            for (long o = 0; o < size; o += buf.capacity()) {
                buf.clear();
                r.read(o, buf);
                buf.flip();
                md.update(buf);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }

    /** The data file offset of the block the generator tagged {@code <volume> g<gen> block <offset hex>|}. */
    public static long find(Path poolDir, String volume, int gen, long offset) throws IOException {
        byte[] tag = String.format("%s g%d block %08x|", volume, gen, offset).getBytes();
        byte[] data = Files.readAllBytes(poolDir.resolve("data"));
        for (int at = 0; at + tag.length <= data.length; at += 4096) {
            if (java.util.Arrays.equals(data, at, at + tag.length, tag, 0, tag.length)) {
                return at;
            }
        }
        throw new AssertionError("block " + new String(tag) + " not found in the data file");
    }
}
