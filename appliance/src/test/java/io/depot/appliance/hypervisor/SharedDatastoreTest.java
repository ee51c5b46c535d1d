package io.depot.appliance.hypervisor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.depot.appliance.hypervisor.Vm.Disk;
import io.depot.appliance.hypervisor.Vm.Guest;
import io.depot.appliance.hypervisor.Vm.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Depot as the shared datastore of hypervisor hosts, proven with a real hypervisor: QEMU
 * (qemu-system-x86_64; KVM when usable, else TCG) boots a Debian kernel with a busybox initramfs
 * whose disk is on Depot, as an iSCSI LUN (QEMU's iscsi:// driver) and as a raw and a qcow2 file on
 * the NFS export (nfs://). The guest writes numbered, self-describing blocks, each with O_DIRECT and
 * a flush, and reports each on its serial console ({@code guest-init.sh}); the test waits on those
 * lines, never on time.
 *
 * <ul>
 *   <li>Live migration: a second QEMU ("host B") opens the same LUN or file with {@code -incoming};
 *       while the guest writes, QMP migrates it from A to B; on B the guest writes on, then reads back
 *       everything it wrote; the host reads the disk again with qemu-img and checks every block.</li>
 *   <li>Datastore operations on a running VM: a snapshot over the HTTP API while the guest writes, a
 *       clone of it booted as a second VM, which finds exactly the snapshot's blocks (and the host
 *       reads the snapshot and the clone byte-identical).</li>
 *   <li>Failure: the server is killed (SIGKILL) and restarted under a running guest, then stopped
 *       cleanly and restarted; the guest's I/O resumes each time and loses nothing it was told was
 *       written; a host the iSCSI ACL or the NFS export rule leaves out cannot attach.</li>
 * </ul>
 *
 * Hosts and server share a private network namespace ({@link DatastoreLab}). Needs root and Debian's
 * qemu-system-x86, qemu-utils, qemu-block-extra and busybox-static; the kernel comes from Debian's
 * linux-image package (fetch-kernel.sh). The walkthrough for users is docs/shared-datastore.md.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)   // each test and the setup (which may download the kernel package)
class SharedDatastoreTest {
    static final String IQN_PREFIX = "iqn.2026-11.io.depot.test:";
    static final Host HOST_A = new Host("host-a", IQN_PREFIX + "host-a", DatastoreLab.DATASTORE_IP);
    static final Host HOST_B = new Host("host-b", IQN_PREFIX + "host-b", DatastoreLab.DATASTORE_IP);
    /** Not in the targets' ACL, and reaches the server from an address the NFS export does not admit. */
    static final Host HOST_C = new Host("host-c", IQN_PREFIX + "host-c", DatastoreLab.OUTSIDE_IP);
    static final String DISK_SIZE = "32M";
    static final int DISK_BLOCKS = (32 << 20) / GuestBlocks.BLOCK;
    static final Duration BOOT = Duration.ofSeconds(180);
    static final Duration STEP = Duration.ofSeconds(120);
    static final Pattern VERIFIED = Pattern.compile("DEPOT-GUEST VERIFY OK count=(\\d+) md5=(\\w+)");

    @TempDir
    static Path tmp;
    DatastoreLab lab;
    GuestImage image;
    String accel;
    int nextMigrationPort = 4444;
    final List<Vm> vms = new ArrayList<>();

    @BeforeAll
    void startLab() throws Exception {
        for (String tool : List.of("qemu-system-x86_64", "qemu-img", "nsenter", "unshare", "ip")) {
            assertEquals(0, new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor(),
                    tool + " is not installed (Debian: qemu-system-x86, qemu-utils + qemu-block-extra, util-linux, iproute2)");
        }
        image = GuestImage.build(tmp);
        accel = Accelerator.choose(image, tmp);
        System.out.println("hypervisor tests: QEMU accelerator " + accel + (Files.exists(Path.of("/dev/kvm")) ? "" : " (no /dev/kvm)"));
        lab = DatastoreLab.start(tmp);
    }

    @AfterAll
    void stopLab() throws Exception {
        for (Vm vm : vms) {
            vm.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    // ---------------------------------------------------------------- live migration

    @Test
    void aGuestOnAnIscsiLunKeepsWritingWhileItMigratesToAnotherHost() throws Exception {
        Disk disk = lun("vm-iscsi");
        migrateWhileWriting(disk);
    }

    @Test
    void aGuestOnARawNfsFileKeepsWritingWhileItMigratesToAnotherHost() throws Exception {
        Disk disk = nfsFile("vm-raw.img", "raw");
        migrateWhileWriting(disk);
    }

    @Test
    void aGuestOnAQcow2NfsFileKeepsWritingWhileItMigratesToAnotherHost() throws Exception {
        Disk disk = nfsFile("vm-qcow2.qcow2", "qcow2");
        migrateWhileWriting(disk);
    }

    private void migrateWhileWriting(Disk disk) throws Exception {
        Guest guest = new Guest("write", runId(), DISK_BLOCKS);
        Vm a = vm(HOST_A, disk, guest, null);
        a.console().await("DEPOT-GUEST READY mode=write run=" + guest.run() + "$", BOOT);
        a.console().awaitAcknowledged(10, STEP);
        int port = nextMigrationPort++;
        Vm b = vm(HOST_B, disk, guest, port);

        int linesBefore = a.console().lineCount();
        int ackedBefore = a.console().acknowledged();
        migrate(a, b, port);
        int ackedOnA = a.console().acknowledged();
        // (the console may lag the guest by a line, so one of these may have been written just before)
        long writtenDuringMigration = a.console().lines().subList(linesBefore, a.console().lineCount()).stream()
                .filter(l -> SerialConsole.WROTE.matcher(l).find()).count();
        a.quit();

        // on B the guest goes on writing where it was, then stops and reads back every block
        b.console().awaitAcknowledged(ackedOnA + 10, STEP);
        b.console().send("stop");
        Matcher v = b.console().await(VERIFIED, 0, STEP);
        int count = Integer.parseInt(v.group(1));
        assertEquals(0, b.awaitExit(STEP));
        assertTrue(count >= ackedOnA + 10, "the guest wrote " + count + " blocks, " + ackedOnA + " of them on host A");
        assertTrue(writtenDuringMigration > 0, "the guest wrote no block while it was being migrated");
        // the host reads the disk on its own: every block the guest wrote, and nothing else
        GuestBlocks.assertDiskHolds(read(disk, HOST_B), guest.run(), count, disk.url(HOST_B));
        System.out.printf("%s: %d blocks acknowledged on A before the migration, %d during it, %d in all; verified by the guest and the host%n",
                disk.url(HOST_A), ackedBefore, writtenDuringMigration, count);
    }

    /**
     * Live migration over QMP: A streams its RAM to B's {@code -incoming} port (capped at 32 MiB/s so
     * that the guest writes during it even under KVM), pauses, and B resumes the guest.
     */
    private void migrate(Vm a, Vm b, int port) throws Exception {
        ObjectNode caps = DatastoreLab.JSON.createObjectNode();
        caps.putArray("capabilities").addObject().put("capability", "events").put("state", true);
        a.qmp().execute("migrate-set-capabilities", caps);
        a.qmp().execute("migrate-set-parameters", DatastoreLab.JSON.createObjectNode().put("max-bandwidth", 32L << 20));
        a.qmp().execute("migrate", DatastoreLab.JSON.createObjectNode().put("uri", "tcp:127.0.0.1:" + port));
        JsonNode done = a.qmp().awaitEvent("MIGRATION", d -> List.of("completed", "failed", "cancelled").contains(d.path("status").asText()), STEP);
        assertEquals("completed", done.path("data").path("status").asText(), "migration: " + a.qmp().execute("query-migrate"));
        b.qmp().awaitEvent("RESUME", d -> true, STEP);
        JsonNode status = b.qmp().execute("query-status");
        assertEquals("running", status.path("status").asText(), "the guest runs on host B after the migration");
    }

    // ---------------------------------------------------------------- datastore operations

    /** A snapshot of a running VM's disk and a clone made from it. */
    interface DatastoreOps {
        /** Takes the snapshot and makes the clone. */
        void snapshotAndClone() throws Exception;

        Disk clone();

        /** The snapshot as a disk a host can read, or null where hosts cannot open it. */
        Disk snapshot();
    }

    @Test
    void aSnapshotOfARunningVmOnALunClonesIntoABootableVmHoldingExactlyTheSnapshot() throws Exception {
        String iqn = target("vm-snap");
        snapshotAndBootTheClone(Disk.iscsi(iqn, 0), new DatastoreOps() {
            @Override
            public void snapshotAndClone() throws Exception {
                lab.server().api(201, "POST", "/volumes/vm-snap/snapshots", "{\"name\":\"while-writing\"}");
                lab.server().api(201, "POST", "/volumes/vm-snap/snapshots/while-writing/clones", "{\"name\":\"vm-snap-clone\"}");
                lab.server().api(200, "PUT", "/iscsi/targets/" + iqn + "/luns/1", "{\"volume\":\"vm-snap-clone\"}");
                lab.server().api(200, "PUT", "/iscsi/targets/" + iqn + "/luns/2", "{\"volume\":\"vm-snap\",\"snapshot\":\"while-writing\"}");
            }

            @Override
            public Disk clone() { return Disk.iscsi(iqn, 1); }

            @Override
            public Disk snapshot() { return Disk.iscsi(iqn, 2); }
        });
    }

    /**
     * The NFS datastore's file clone: the gateway snapshots the live file and makes a linked clone of
     * that snapshot in one step. (Its export snapshots are not readable by QEMU: libnfs takes
     * everything before the last slash of nfs://host/export/.snapshots/NAME/file for the export to
     * mount, and MOUNT serves export roots only.)
     */
    @Test
    void aFileCloneOfARunningVmOnNfsBootsAndHoldsWhatWasWrittenBeforeIt() throws Exception {
        String export = DatastoreServerMain.EXPORT;
        snapshotAndBootTheClone(nfsFile("vm-snap.img", "raw"), new DatastoreOps() {
            @Override
            public void snapshotAndClone() throws Exception {
                lab.server().nfs("nfs-clone " + export + "/vm-snap.img " + export + "/vm-snap-clone.img");
            }

            @Override
            public Disk clone() { return Disk.nfs(export + "/vm-snap-clone.img", "raw"); }

            @Override
            public Disk snapshot() { return null; }
        });
    }

    private void snapshotAndBootTheClone(Disk disk, DatastoreOps ops) throws Exception {
        Guest guest = new Guest("write", runId(), DISK_BLOCKS);
        Vm a = vm(HOST_A, disk, guest, null);
        a.console().awaitAcknowledged(10, BOOT);

        int ackedBeforeSnapshot = a.console().acknowledged();
        ops.snapshotAndClone();

        // the clone boots on host B while the origin VM still writes on host A
        Guest check = new Guest("check", guest.run(), DISK_BLOCKS);
        Vm clone = vm(HOST_B, ops.clone(), check, null);
        Matcher c = clone.console().await(Pattern.compile("DEPOT-GUEST CHECK OK count=(\\d+) md5=(\\w+)"), 0, BOOT);
        int inSnapshot = Integer.parseInt(c.group(1));
        clone.console().await("DEPOT-GUEST CHECK DONE count=" + inSnapshot + "$", STEP);
        assertEquals(0, clone.awaitExit(STEP));

        a.console().awaitAcknowledged(inSnapshot + 10, STEP);
        a.console().send("stop");
        int written = Integer.parseInt(a.console().await(VERIFIED, 0, STEP).group(1));
        assertEquals(0, a.awaitExit(STEP));

        assertTrue(inSnapshot >= ackedBeforeSnapshot, "the snapshot lacks acknowledged blocks: " + inSnapshot + " < " + ackedBeforeSnapshot);
        assertTrue(written > inSnapshot, "the origin went on after the snapshot: " + written + " > " + inSnapshot);
        // the host reads the clone (and the snapshot) on its own: the guest's blocks 0..n-1, then zeros
        byte[] cloneDisk = read(ops.clone(), HOST_A);
        GuestBlocks.assertDiskHolds(cloneDisk, guest.run(), inSnapshot, "the clone");
        if (ops.snapshot() != null) {
            assertArrayEquals(read(ops.snapshot(), HOST_A), cloneDisk, "the clone holds exactly the snapshot's data");
        }
        GuestBlocks.assertDiskHolds(read(disk, HOST_A), guest.run(), written, "the origin");
        System.out.printf("%s: while the guest wrote: %d blocks acknowledged before the snapshot, %d in it and in the clone;"
                + " the origin went on to %d%n", disk.url(HOST_A), ackedBeforeSnapshot, inSnapshot, written);
    }

    // ---------------------------------------------------------------- failures

    @Test
    void aGuestOnAnIscsiLunLosesNothingAcknowledgedWhenTheServerIsKilledOrStoppedAndRestartedUnderIt() throws Exception {
        writeAcrossAServerRestart(lun("vm-restart"));
    }

    @Test
    void aGuestOnAnNfsFileLosesNothingAcknowledgedWhenTheServerIsKilledOrStoppedAndRestartedUnderIt() throws Exception {
        writeAcrossAServerRestart(nfsFile("vm-restart.img", "raw"));
    }

    /** The server is killed and restarted under a writing guest, then stopped cleanly and restarted. */
    private void writeAcrossAServerRestart(Disk disk) throws Exception {
        Guest guest = new Guest("write", runId(), DISK_BLOCKS);
        Vm a = vm(HOST_A, disk, guest, null);
        a.console().awaitAcknowledged(10, BOOT);

        lab.killServer();
        int ackedAtKill = a.console().acknowledged();
        long killed = System.nanoTime();
        lab.startServer();
        // the guest's I/O resumes once QEMU has reconnected
        a.console().awaitAcknowledged(a.console().acknowledged() + 10, STEP);
        long afterKillMillis = (System.nanoTime() - killed) / 1_000_000;

        lab.stopServer();
        int ackedAtStop = a.console().acknowledged();
        long stopped = System.nanoTime();
        lab.startServer();
        a.console().awaitAcknowledged(a.console().acknowledged() + 10, STEP);
        long afterStopMillis = (System.nanoTime() - stopped) / 1_000_000;

        a.console().send("stop");
        int written = Integer.parseInt(a.console().await(VERIFIED, 0, STEP).group(1));
        assertEquals(0, a.awaitExit(STEP));
        // everything acknowledged before, between and after the restarts is there
        GuestBlocks.assertDiskHolds(read(disk, HOST_A), guest.run(), written, "after the restarts");
        System.out.printf("%s: server killed after %d acknowledged blocks, 10 more written %d ms after the kill;"
                + " stopped cleanly after %d, 10 more %d ms after the stop; the guest went on to %d, all verified%n",
                disk.url(HOST_A), ackedAtKill, afterKillMillis, ackedAtStop, afterStopMillis, written);
    }

    @Test
    void aHostThatTheAclOrTheExportRuleLeavesOutCannotAttach() throws Exception {
        Disk lunDisk = lun("vm-acl");
        Disk fileDisk = nfsFile("vm-acl.img", "raw");
        Guest guest = new Guest("write", runId(), DISK_BLOCKS);
        for (Disk disk : List.of(lunDisk, fileDisk)) {
            // the admitted host can open the disk...
            lab.ok(qemuImg("info", disk, HOST_A), 60);
            // ...the other one cannot: neither qemu-img nor QEMU with the same disk
            DatastoreLab.Result img = lab.run(qemuImg("info", disk, HOST_C), 60);
            assertNotEquals(0, img.exit(), "qemu-img opened " + disk.url(HOST_C) + " as " + HOST_C + ":\n" + img.out());
            List<String> qemu = Vm.commandLine(accel, image, HOST_C, disk, guest);
            qemu.addAll(List.of("-S", "-serial", "none"));   // -S: had it attached, it would wait here (and the test time out)
            DatastoreLab.Result r = lab.run(qemu, 60);
            assertNotEquals(0, r.exit(), "QEMU attached " + disk.url(HOST_C) + " as " + HOST_C + ":\n" + r.out());
            String expected = disk.iqn() != null ? "(?si).*(authori[sz]ation|login).*" : "(?si).*(permission denied|access|mount).*";
            assertTrue(r.out().matches(expected), "QEMU's error does not say why:\n" + r.out());
            System.out.printf("%s as %s: %s%n", disk.url(HOST_C), HOST_C.name(), r.out().strip().replace('\n', ' '));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String runId() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    /** A volume served at LUN 0 of its own target, which admits hosts A and B (by initiator name). */
    private Disk lun(String volume) throws IOException {
        return Disk.iscsi(target(volume), 0);
    }

    private String target(String volume) throws IOException {
        String iqn = "iqn.2026-11.io.depot:" + volume;
        lab.server().api(201, "POST", "/volumes", "{\"name\":\"" + volume + "\",\"size\":\"" + DISK_SIZE + "\"}");
        lab.server().api(201, "POST", "/iscsi/targets", "{\"name\":\"" + iqn + "\"}");
        lab.server().api(200, "PUT", "/iscsi/targets/" + iqn + "/luns/0", "{\"volume\":\"" + volume + "\"}");
        lab.server().api(200, "PUT", "/iscsi/targets/" + iqn + "/acl",
                "{\"initiators\":[\"" + HOST_A.initiatorName() + "\",\"" + HOST_B.initiatorName() + "\"]}");
        return iqn;
    }

    /** A disk image created by host A on the NFS export, as a user does with qemu-img. */
    private Disk nfsFile(String name, String format) throws IOException, InterruptedException {
        Disk disk = Disk.nfs(DatastoreServerMain.EXPORT + "/" + name, format);
        lab.ok(List.of("qemu-img", "create", "-f", format, disk.url(HOST_A), DISK_SIZE), 60);
        return disk;
    }

    private List<String> qemuImg(String command, Disk disk, Host host) {
        List<String> c = new ArrayList<>(List.of("qemu-img", command));
        c.addAll(disk.imageOpts(host));
        return c;
    }

    /** The disk's guest-visible bytes as the host reads them (qemu-img convert to a local raw file). */
    private byte[] read(Disk disk, Host host) throws IOException, InterruptedException {
        Path out = Files.createTempFile(tmp, "disk", ".raw");
        List<String> c = new ArrayList<>(List.of("qemu-img", "convert"));
        c.addAll(disk.imageOpts(host));
        c.addAll(List.of("-O", "raw", out.toString()));
        lab.ok(c, 120);
        byte[] bytes = Files.readAllBytes(out);
        Files.delete(out);
        assertEquals((long) DISK_BLOCKS * GuestBlocks.BLOCK, bytes.length, "size of " + disk.url(host));
        return bytes;
    }

    private Vm vm(Host host, Disk disk, Guest guest, Integer incomingPort) throws Exception {
        Vm vm = Vm.start(lab, tmp, accel, image, host, disk, guest, incomingPort);
        vms.add(vm);
        return vm;
    }
}
