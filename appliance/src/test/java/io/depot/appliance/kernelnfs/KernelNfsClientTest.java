package io.depot.appliance.kernelnfs;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.depot.appliance.hypervisor.Accelerator;
import io.depot.appliance.hypervisor.DatastoreLab;
import io.depot.appliance.hypervisor.GuestImage;
import io.depot.appliance.kernelnfs.ClientGuest.Check;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Depot mounted the way Proxmox, oVirt and libvirt hosts mount an NFS datastore: by the Linux
 * kernel's NFS client with default options ({@code mount.nfs SERVER:/export /mnt}, locking on,
 * rpcbind and rpc.statd running). Two QEMU guests (Debian's kernel, a busybox initramfs with
 * Debian's nfs-common and rpcbind: {@link NfsClientFiles}) are two hypervisor hosts on one export,
 * on a bridge of a private network namespace where the server runs as a child JVM that can be killed
 * with SIGKILL and restarted on the same pool ({@link LabNetwork}, {@link DatastoreLab}).
 *
 * <p>Each guest runs the steps the test sends it ({@code kernelnfs/nfs-client-init.sh}) and
 * reports each check on its serial console; every check is one dynamic test here, named
 * {@code guest: check}, so a failure names what broke. Services start once for the class. The
 * walkthrough, with what each check does: docs/kernel-client.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)   // each step and the setup (which may download the kernel package)
class KernelNfsClientTest {
    static final Duration BOOT = Duration.ofSeconds(240);
    static final Duration STEP = Duration.ofSeconds(300);
    /** How long the guest gives one lock operation: NLM answers in milliseconds, a missing NLM never. */
    static final String LOCK_TIMEOUT = "10";
    /** Long enough for a grace period to end (a client's F_SETLK waits it out, retrying). */
    static final String GRACE_TIMEOUT = "150";

    @TempDir
    static Path tmp;
    LabNetwork net;
    DatastoreLab lab;
    ClientGuest a;
    ClientGuest b;
    long started;
    final List<String> summary = new ArrayList<>();

    @BeforeAll
    void startHostsAndServer() throws Exception {
        started = System.nanoTime();
        NfsClientFiles.requireTools();
        GuestImage image = GuestImage.build(tmp, NfsClientFiles.contents(tmp));
        String accel = Accelerator.choose(image, tmp);
        System.out.println("kernel NFS client tests: QEMU accelerator " + accel);
        net = LabNetwork.create(2);
        lab = DatastoreLab.startIn(tmp, net.name());
        String export = "/vmstore";
        a = ClientGuest.boot(lab, net, tmp, accel, image, "guest-a", 0, export);
        b = ClientGuest.boot(lab, net, tmp, accel, image, "guest-b", 1, export);
        a.awaitReady(BOOT);
        b.awaitReady(BOOT);
    }

    @AfterAll
    void stopAll() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, lab, net}) {
            if (c != null) {
                c.close();
            }
        }
        System.out.printf("kernel NFS client checks (%d s):%n  %s%n", (System.nanoTime() - started) / 1_000_000_000L,
                String.join("\n  ", summary));
    }

    @TestFactory
    @Order(1)
    Stream<DynamicTest> defaultMountNegotiatesVersion3WithLocking() throws Exception {
        Results r = new Results();
        r.add(a, a.step("mount", STEP));
        r.add(b, b.step("mount", STEP));
        String[] checks = {"rpcbind-running", "statd-registered", "mount-default-options", "negotiated-v3"};
        return Stream.concat(r.tests(a, checks), r.tests(b, checks));
    }

    @TestFactory
    @Order(2)
    Stream<DynamicTest> largeFileWrittenAndReadBack() throws Exception {
        Results r = new Results();
        r.add(a, a.step("large", STEP));
        return r.tests(a, "large-write", "large-read-md5");
    }

    @TestFactory
    @Order(3)
    Stream<DynamicTest> fileSystemSemantics() throws Exception {
        Results r = new Results();
        r.add(a, a.step("files", STEP));
        return r.tests(a, "odirect", "fsync", "append", "truncate-grow", "truncate-shrink", "sparse", "exclusive-create",
                "rename-over", "hard-link", "symbolic-link", "directory-300-ls-l", "chmod-chown", "statfs", "silly-rename");
    }

    /**
     * Close-to-open against a host-side libnfs writer: the host creates the file with nfs-cp, the
     * guest reads it, the host changes one byte in place with QEMU's nfs:// driver (qemu-io; nfs-cp
     * creates EXCLUSIVE and will not overwrite), same size, same file: the guest's next open sees it.
     */
    @TestFactory
    @Order(4)
    Stream<DynamicTest> closeToOpenConsistencyAgainstAHostWriter() throws Exception {
        Results r = new Results();
        String url = "nfs://" + DatastoreLab.DATASTORE_IP + "/vmstore/guest-a/cto.txt";
        Path local = tmp.resolve("host-write.txt");
        Files.writeString(local, "version-1-aaaa", StandardCharsets.US_ASCII);
        lab.ok(List.of("nfs-cp", local.toString(), url), 60);
        r.add(a, a.step("cto_read", STEP, "cto-first-open", "cto.txt", "version-1-aaaa"));
        lab.ok(List.of("qemu-io", "-f", "raw", "-c", "write -P 0x32 8 1", url), 60);   // '1' -> '2'
        r.add(a, a.step("cto_read", STEP, "close-to-open", "cto.txt", "version-2-aaaa"));
        return r.tests(a, "cto-first-open", "close-to-open");
    }

    @TestFactory
    @Order(5)
    Stream<DynamicTest> serverKilledAndRestartedDuringAWrite() throws Exception {
        Results r = new Results();
        r.add(a, a.step("kill_write_start", STEP));
        lab.killServer();
        lab.startServer();
        r.add(a, a.step("kill_write_finish", STEP));
        return r.tests(a, "kill-write-under-way", "kill-write-completes", "kill-write-data-intact");
    }

    /** Two processes of one host: POSIX exclusive and shared locks, flock, QEMU's OFD image locks. */
    @TestFactory
    @Order(6)
    Stream<DynamicTest> locksBetweenProcessesOfOneHost() throws Exception {
        Results r = new Results();
        a.step("timeout", STEP, LOCK_TIMEOUT);
        holdThenRun(r, "posix", "posix.lock", List.of("setlk:w:0:0"), "posix-exclusive-refused", "EAGAIN,w", "setlk:w:0:0", "getlk:w:0:0");
        r.add(a, a.step("lock", STEP, "posix-exclusive-after-unlock", "ok,ok", "posix.lock", "setlk:w:0:0", "setlk:u:0:0"));
        holdThenRun(r, "shared", "shared.lock", List.of("setlk:r:0:0"), "posix-shared", "ok,EAGAIN", "setlk:r:0:0", "setlk:w:0:0");
        holdThenRun(r, "flock", "flock.lock", List.of("flock:ex"), "flock-refused", "EAGAIN", "flock:exnb");
        r.add(a, a.step("lock", STEP, "flock-after-unlock", "ok,ok", "flock.lock", "flock:exnb", "flock:un"));
        holdThenRun(r, "qemu", "disk.img", List.of("ofd:r:100:1", "ofd:r:101:1", "ofd:r:201:1"),
                "qemu-ofd-second-writer-refused", "ok,r,EAGAIN", "ofd:r:100:1", "ofdget:w:201:1", "ofd:w:201:1");
        return r.tests(a, "posix-held", "posix-exclusive-refused", "posix-released", "posix-exclusive-after-unlock",
                "shared-held", "posix-shared", "shared-released", "flock-held", "flock-refused", "flock-released", "flock-after-unlock",
                "qemu-held", "qemu-ofd-second-writer-refused", "qemu-released");
    }

    /**
     * Two hosts on one export, QEMU's image locking: while host A has the disk open read-write
     * (shared OFD locks on bytes 100, 101 and 201), host B's QEMU is refused; after A releases, B
     * gets it. And a blocking F_SETLKW on B is woken (NLM_GRANTED) when A unlocks.
     */
    @TestFactory
    @Order(7)
    Stream<DynamicTest> aSecondHostIsRefusedTheLocksOfTheFirst() throws Exception {
        Results r = new Results();
        a.step("timeout", STEP, LOCK_TIMEOUT);
        b.step("timeout", STEP, "60");
        r.add(a, a.step("lock_bg", STEP, "img", "shared/disk.img", "ofd:r:100:1", "ofd:r:101:1", "ofd:r:201:1",
                "touch:/tmp/img.held", "wait:/tmp/img.go", "close"));
        if (!passed(r.add(a, a.step("lock_await", STEP, "first-host-opens-image", "img", "ok,ok,ok,ok", "30")), "first-host-opens-image")) {
            return twoHostTests(r);   // no lock to be refused by: the rest are reported missing, by name
        }
        r.add(b, b.step("lock", STEP, "second-host-image-refused", "ok,ok,r,EAGAIN", "shared/disk.img",
                "ofd:r:100:1", "ofd:r:101:1", "ofdget:w:201:1", "ofd:w:201:1"));
        a.step("signal", STEP, "/tmp/img.go");
        r.add(a, a.step("lock_finish", STEP, "first-host-closes-image", "img", "ok,ok,ok,ok,ok,ok", "30"));
        r.add(b, b.step("lock", STEP, "second-host-gets-image-after-release", "ok,ok,unlocked,ok", "shared/disk.img",
                "ofd:r:100:1", "ofd:r:101:1", "ofdget:w:201:1", "ofd:r:201:1"));

        r.add(a, a.step("lock_bg", STEP, "blk", "shared/block.lock", "setlk:w:0:0", "touch:/tmp/blk.held", "wait:/tmp/blk.go", "setlk:u:0:0"));
        r.add(a, a.step("lock_await", STEP, "first-host-posix-lock", "blk", "ok,ok", "30"));
        r.add(b, b.step("lock_bg", STEP, "waiter", "shared/block.lock", "setlk:w:0:0", "setlkw:w:0:0"));
        r.add(b, b.step("lock_await", STEP, "second-host-posix-refused", "waiter", "EAGAIN", "30"));
        a.step("signal", STEP, "/tmp/blk.go");
        r.add(a, a.step("lock_finish", STEP, "first-host-posix-unlock", "blk", "ok,ok,ok,ok", "30"));
        // under the client's 30 s re-poll: only the server's NLM_GRANTED callback wakes it this soon
        r.add(b, b.step("lock_finish", STEP, "blocked-lock-woken-by-unlock", "waiter", "EAGAIN,ok", "20"));
        return twoHostTests(r);
    }

    private Stream<DynamicTest> twoHostTests(Results r) {
        return Stream.concat(
                r.tests(a, "first-host-opens-image", "first-host-closes-image", "first-host-posix-lock", "first-host-posix-unlock"),
                r.tests(b, "second-host-image-refused", "second-host-gets-image-after-release", "second-host-posix-refused",
                        "blocked-lock-woken-by-unlock"));
    }

    /**
     * Live migration from host A to host B, handing the disk's image lock over as QEMU does: the
     * destination opens the image inactive (consistent read only: a shared lock on byte 100) while
     * the source still runs it read-write (100, 101 and 201); it cannot activate while the source
     * unshares write (201). At switch-over the source inactivates (drops 101 and 201, keeps 100),
     * and the destination activates (takes 101 and 201); then the source host is refused the write.
     */
    @TestFactory
    @Order(8)
    Stream<DynamicTest> liveMigrationHandsTheImageLockOver() throws Exception {
        Results r = new Results();
        // the holders wait for the other host's steps between their own: more than one lock's time
        a.step("timeout", STEP, "60");
        b.step("timeout", STEP, "60");
        r.add(a, a.step("lock_bg", STEP, "src", "shared/vm.img", "ofd:r:100:1", "ofd:r:101:1", "ofd:r:201:1", "touch:/tmp/src.held",
                "wait:/tmp/src.go", "ofd:u:101:1", "ofd:u:201:1", "touch:/tmp/src.inactive", "wait:/tmp/src.end", "close"));
        if (!passed(r.add(a, a.step("lock_await", STEP, "migration-source-runs", "src", "ok,ok,ok,ok", "30")), "migration-source-runs")) {
            return migrationTests(r);   // nothing to hand over: the rest are reported missing, by name
        }
        r.add(b, b.step("lock_bg", STEP, "dst", "shared/vm.img", "ofd:r:100:1", "ofdget:w:200:1", "touch:/tmp/dst.in", "wait:/tmp/dst.go",
                "ofdget:w:201:1", "ofd:r:101:1", "ofd:r:201:1", "touch:/tmp/dst.active", "wait:/tmp/dst.end", "close"));
        r.add(b, b.step("lock_await", STEP, "migration-destination-opens-inactive", "dst", "ok,unlocked,ok", "30"));
        r.add(b, b.step("lock", STEP, "migration-destination-waits-for-switchover", "r", "shared/vm.img", "ofdget:w:201:1"));
        a.step("signal", STEP, "/tmp/src.go");
        r.add(a, a.step("lock_await", STEP, "migration-source-inactivates", "src", "ok,ok,ok,ok,ok,ok,ok,ok", "30"));
        b.step("signal", STEP, "/tmp/dst.go");
        r.add(b, b.step("lock_await", STEP, "migration-destination-activates", "dst", "ok,unlocked,ok,ok,unlocked,ok,ok,ok", "30"));
        r.add(a, a.step("lock", STEP, "migration-source-refused-after-switchover", "r,EAGAIN", "shared/vm.img", "ofdget:w:201:1", "ofd:w:201:1"));
        a.step("signal", STEP, "/tmp/src.end");
        b.step("signal", STEP, "/tmp/dst.end");
        r.add(a, a.step("lock_finish", STEP, "migration-source-closes", "src", "ok,ok,ok,ok,ok,ok,ok,ok,ok,ok", "30"));
        r.add(b, b.step("lock_finish", STEP, "migration-destination-closes", "dst", "ok,unlocked,ok,ok,unlocked,ok,ok,ok,ok,ok", "30"));
        return migrationTests(r);
    }

    private Stream<DynamicTest> migrationTests(Results r) {
        return Stream.concat(
                r.tests(a, "migration-source-runs", "migration-source-inactivates", "migration-source-refused-after-switchover",
                        "migration-source-closes"),
                r.tests(b, "migration-destination-opens-inactive", "migration-destination-waits-for-switchover",
                        "migration-destination-activates", "migration-destination-closes"));
    }

    /** A holds a lock across a server kill -9 and restart: it reclaims it, so B still cannot take it after the grace period. */
    @TestFactory
    @Order(9)
    Stream<DynamicTest> locksReclaimedAfterAServerRestart() throws Exception {
        Results r = new Results();
        a.step("timeout", STEP, GRACE_TIMEOUT);
        b.step("timeout", STEP, GRACE_TIMEOUT);
        r.add(a, a.step("lock_bg", STEP, "reclaim", "shared/reclaim.lock", "setlk:w:0:0", "touch:/tmp/rc.held", "wait:/tmp/rc.go",
                "setlk:u:0:0"));
        if (!passed(r.add(a, a.step("lock_await", STEP, "lock-held-before-restart", "reclaim", "ok,ok", "30")), "lock-held-before-restart")) {
            return reclaimTests(r);   // nothing to reclaim: the rest are reported missing, by name
        }
        lab.killServer();
        lab.startServer();
        r.add(b, b.step("lock", STEP, "reclaimed-lock-refused-after-grace", "EAGAIN", "shared/reclaim.lock", "setlk:w:0:0"));
        a.step("signal", STEP, "/tmp/rc.go");
        r.add(a, a.step("lock_finish", STEP, "reclaimed-lock-unlocked-by-holder", "reclaim", "ok,ok,ok,ok", GRACE_TIMEOUT));
        r.add(b, b.step("lock", STEP, "lock-free-after-holder-unlocks", "ok,ok", "shared/reclaim.lock", "setlk:w:0:0", "setlk:u:0:0"));
        return reclaimTests(r);
    }

    /**
     * A host that reboots loses its locks: A holds a lock, then does what its boot would do for NFS
     * (sm-notify: "I restarted", to the server its statd monitors); the server drops A's locks at
     * once, so B gets the lock A's old process still believes it holds.
     */
    @TestFactory
    @Order(10)
    Stream<DynamicTest> aRebootedHostLosesItsLocks() throws Exception {
        Results r = new Results();
        a.step("timeout", STEP, "60");
        b.step("timeout", STEP, LOCK_TIMEOUT);
        r.add(a, a.step("lock_bg", STEP, "rb", "shared/reboot.lock", "setlk:w:0:0", "touch:/tmp/rb.held", "wait:/tmp/rb.go", "close"));
        if (!passed(r.add(a, a.step("lock_await", STEP, "lock-held-before-reboot", "rb", "ok,ok", "30")), "lock-held-before-reboot")) {
            return rebootTests(r);
        }
        r.add(b, b.step("lock", STEP, "lock-refused-before-reboot", "EAGAIN", "shared/reboot.lock", "setlk:w:0:0"));
        r.add(a, a.step("reboot_notice", STEP, "reboot-notice-sent"));
        r.add(b, b.step("lock", STEP, "lock-free-after-reboot-notice", "ok,ok", "shared/reboot.lock", "setlk:w:0:0", "setlk:u:0:0"));
        a.step("signal", STEP, "/tmp/rb.go");
        r.add(a, a.step("lock_finish", STEP, "rebooted-holder-closes", "rb", "ok,ok,ok,ok", "30"));
        return rebootTests(r);
    }

    private Stream<DynamicTest> rebootTests(Results r) {
        return Stream.concat(r.tests(a, "lock-held-before-reboot", "reboot-notice-sent", "rebooted-holder-closes"),
                r.tests(b, "lock-refused-before-reboot", "lock-free-after-reboot-notice"));
    }

    private Stream<DynamicTest> reclaimTests(Results r) {
        return Stream.concat(r.tests(a, "lock-held-before-restart", "reclaimed-lock-unlocked-by-holder"),
                r.tests(b, "reclaimed-lock-refused-after-grace", "lock-free-after-holder-unlocks"));
    }

    /**
     * Host A holds {@code locks} on FILE in a background process (checks TAG-held, TAG-released)
     * while a second process of A runs {@code ops} (check {@code check}, words {@code expect}).
     */
    private void holdThenRun(Results r, String tag, String file, List<String> locks, String check, String expect, String... ops)
            throws InterruptedException {
        List<String> hold = new ArrayList<>(List.of(tag, file));
        hold.addAll(locks);
        hold.addAll(List.of("touch:/tmp/" + tag + ".held", "wait:/tmp/" + tag + ".go", "close"));
        r.add(a, a.step("lock_bg", STEP, hold.toArray(String[]::new)));
        String okWords = String.join(",", Collections.nCopies(locks.size() + 1, "ok"));
        if (!passed(r.add(a, a.step("lock_await", STEP, tag + "-held", tag, okWords, "30")), tag + "-held")) {
            return;   // nothing to conflict with: the checks that need the lock are reported missing, by name
        }
        List<String> run = new ArrayList<>(List.of(check, expect, file));
        run.addAll(List.of(ops));
        r.add(a, a.step("lock", STEP, run.toArray(String[]::new)));
        a.step("signal", STEP, "/tmp/" + tag + ".go");
        r.add(a, a.step("lock_finish", STEP, tag + "-released", tag, okWords + ",ok,ok", "30"));
    }

    private static boolean passed(Map<String, Check> checks, String name) {
        Check c = checks.get(name);
        return c != null && c.passed();
    }

    /** The checks the guests reported, by guest; each expected one becomes a dynamic test. */
    private final class Results {
        private final Map<String, Map<String, Check>> byGuest = new LinkedHashMap<>();

        /** Keeps the step's checks and returns them. */
        Map<String, Check> add(ClientGuest g, Map<String, Check> checks) {
            byGuest.computeIfAbsent(g.name(), k -> new LinkedHashMap<>()).putAll(checks);
            return checks;
        }

        Stream<DynamicTest> tests(ClientGuest g, String... expected) {
            Map<String, Check> got = byGuest.getOrDefault(g.name(), Map.of());
            List<DynamicTest> tests = new ArrayList<>();
            for (String name : expected) {
                Check c = got.get(name);
                synchronized (summary) {
                    summary.add(String.format("%-8s %-40s %s %s", g.name(), name, c == null ? "MISSING" : c.passed() ? "PASS" : "FAIL",
                            c == null ? "" : c.detail()));
                }
                tests.add(DynamicTest.dynamicTest(g.name() + ": " + name, () -> {
                    if (c == null) {
                        fail(g.name() + " reported no check " + name + "\n" + g.transcript());
                    }
                    assertTrue(c.passed(), () -> g.name() + ": " + name + ": " + c.detail());
                }));
            }
            return tests.stream();
        }
    }
}
