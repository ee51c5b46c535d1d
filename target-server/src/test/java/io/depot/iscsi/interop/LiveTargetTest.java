package io.depot.iscsi.interop;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A real target on a fresh 16 MiB pool for each test, and its portal on loopback: what the raw-initiator tests share. */
abstract class LiveTargetTest {
    @TempDir
    Path dir;
    TargetFixture target;
    InetSocketAddress portal;

    @BeforeEach
    void startTarget() {
        target = new TargetFixture(dir, 16L << 20, 0);
        portal = new InetSocketAddress("127.0.0.1", target.port());
    }

    @AfterEach
    void stopTarget() {
        target.close();
    }
}
