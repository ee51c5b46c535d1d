package io.depot.nfs;

import static io.depot.nfs.NetnsScenario.assertPrinted;
import static io.depot.nfs.NetnsScenario.assertPrintedMatching;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Independent clients that insist on port 111 (rpcinfo -p, showmount, libnfs's nfs-ls) against
 * our gateway, in a private network namespace so that port 111 there is ours to take (or a real
 * rpcbind's). Needs root (unshare -n -m) and Debian's rpcbind, nfs-common and libnfs-utils
 * (.ci/run installs them); fails, saying what is missing, where they are not.
 */
class PortmapInteropTest {
    @TempDir
    Path tmp;

    private String scenario(String name) throws Exception {
        return scenario("portmap-netns.sh", name);
    }

    private String scenario(String script, String name) throws Exception {
        NetnsScenario.requireNamespaceAnd("Debian's rpcbind, nfs-common and libnfs-utils (.ci/run does)",
                "rpcinfo", "showmount", "nfs-ls", "rpcbind", "nsenter");
        return NetnsScenario.run(tmp, script, 120, name).out();
    }

    @Test
    void embeddedPortmapperOnPort111ServesRpcinfoShowmountAndLibnfs() throws Exception {
        String out = scenario("embedded");
        assertPrinted(out, out, "READY mode=EMBEDDED");
        // rpcinfo -p: PMAPPROC_DUMP
        assertPrintedMatching(out, out, "100000\\s+2\\s+tcp\\s+111\\s+portmapper", "100005\\s+3\\s+tcp\\s+\\d+\\s+mountd");
        // rpcinfo -t: GETPORT then NULL on the mount port
        assertPrinted(out, out, "program 100005 version 3 ready and waiting");
        // a UDP service advertised as UDP: rpcinfo -u asks GETPORT for udp, then pings over UDP
        assertPrintedMatching(out, section(out, "== rpcinfo -p"), "100005\\s+3\\s+udp\\s+\\d+\\s+mountd");
        assertPrinted(out, section(out, "== rpcinfo -u"), "program 100005 version 3 ready and waiting");
        // showmount -e: GETPORT + MOUNT v1/v3 EXPORT
        assertTrue(out.contains("/open    (everyone)") || out.matches("(?s).*/open\\s+\\(everyone\\).*"), out);
        assertPrintedMatching(out, out, "/private\\s+10\\.9\\.9\\.9");
        // nfs-ls: GETPORT for MOUNT v3, MNT; it then fails to find NFS (not served yet), but
        // showmount -a (DUMP) proves the MNT landed
        assertPrinted(out, out, "127.0.0.1:/open", "CLOSED");
    }

    @Test
    void withASystemRpcbindWeRegisterAndUnregister() throws Exception {
        String out = scenario("rpcbind");
        assertPrinted(out, out, "READY mode=SYSTEM_RPCBIND", "program 100005 version 3 ready and waiting");
        assertPrintedMatching(out, out, "/private\\s+10\\.9\\.9\\.9");
        assertPrintedMatching(out, section(out, "== rpcinfo -p"), "100005\\s+3\\s+udp\\s+\\d+\\s+mountd");
        assertPrinted(out, section(out, "== rpcinfo -u"), "program 100005 version 3 ready and waiting");
        String after = out.substring(out.indexOf("== after shutdown"));
        assertFalse(after.contains("mountd"), "registrations must be gone after shutdown:\n" + out);
        assertTrue(after.contains("portmapper"), out);
    }

    /**
     * The issue's scenario: rpcbind and another NFS server in one network namespace (A), Depot in
     * another that sees A's rpcbind socket but has a portmapper of its own on port 111. A's
     * rpcbind, with the other server's NFS and MOUNT entries (owner superuser, like Depot's), must
     * come through Depot's start and stop untouched; Depot registers with its own portmapper.
     */
    @Test
    void anotherNamespacesRpcbindIsLeftAloneAndDepotRegistersWhereItsClientsAsk() throws Exception {
        String out = scenario("portmap-owners-netns.sh", "foreign");
        String foreign = foreignPort(out);
        String depot = depotPort(out, 3);
        String before = rows(section(out, "== A before Depot"));
        assertPrintedMatching(out, before, "100003\\s+3\\s+tcp\\s+0\\.0\\.0\\.0" + uaddrPort(foreign) + "\\s+nfs\\s+superuser",
                "100005\\s+3\\s+tcp\\s+0\\.0\\.0\\.0" + uaddrPort(foreign) + "\\s+mountd\\s+superuser");
        assertEquals(before, rows(section(out, "== A while Depot runs")), out);
        assertEquals(before, rows(section(out, "== A after Depot stopped")), out);
        assertPrintedMatching(out, section(out, "== here while Depot runs"), "100005\\s+1\\s+tcp\\s+" + depot + "\\s+mountd",
                "100005\\s+3\\s+tcp\\s+" + depot + "\\s+mountd", "100005\\s+3\\s+udp\\s+" + depot + "\\s+mountd");
        assertFalse(section(out, "== here after Depot stopped").contains("mountd"), out);
    }

    /**
     * rpcbind, another NFS server and Depot in one namespace: the other server's NFS and MOUNT v3
     * entries (owner superuser, like Depot's) survive Depot's start and stop; Depot takes only the
     * free slots (MOUNT v1, MOUNT v3 over UDP), gives back only those, and says what it did not register.
     */
    @Test
    void anotherServersEntriesSurviveDepotStartingAndStopping() throws Exception {
        String out = scenario("portmap-owners-netns.sh", "foreign-here");
        String foreign = foreignPort(out);
        String depot = depotPort(out, 2);
        for (String when : List.of("== A before Depot", "== A while Depot runs", "== A after Depot stopped")) {
            String table = section(out, when);
            assertPrintedMatching(out, table, "100003\\s+3\\s+tcp\\s+0\\.0\\.0\\.0" + uaddrPort(foreign) + "\\s+nfs\\s+superuser",
                    "100005\\s+3\\s+tcp\\s+0\\.0\\.0\\.0" + uaddrPort(foreign) + "\\s+mountd\\s+superuser");
        }
        assertPrintedMatching(out, section(out, "== A while Depot runs"),
                "100005\\s+1\\s+tcp\\s+0\\.0\\.0\\.0" + uaddrPort(depot) + "\\s+mountd",
                "100005\\s+3\\s+udp\\s+0\\.0\\.0\\.0" + uaddrPort(depot) + "\\s+mountd");
        assertFalse(section(out, "== here after Depot stopped").contains(" " + depot + " "), "Depot's own entries must be gone:\n" + out);
        assertPrintedMatching(out, out, "mount v3 tcp is already registered by another server \\(owner superuser, port "
                + foreign + "\\); Depot's is on port " + depot + " but not advertised");
    }

    /** The rows of an rpcinfo table (what the server prints between them left out). */
    private static String rows(String section) {
        return section.lines().filter(l -> l.matches("\\s+\\d+\\s.*")).collect(Collectors.joining("\n"));
    }

    /** The other server's port, from its READY line. */
    private static String foreignPort(String out) {
        Matcher f = Pattern.compile("FOREIGN READY port=(\\d+)").matcher(out);
        assertTrue(f.find(), out);
        return f.group(1);
    }

    /** Depot's MOUNT port, from its READY line, which must say it registered {@code advertised} services. */
    private static String depotPort(String out, int advertised) {
        Matcher d = Pattern.compile("READY mode=SYSTEM_RPCBIND mount=(\\d+) advertised=" + advertised).matcher(out);
        assertTrue(d.find(), out);
        return d.group(1);
    }

    /** A Depot killed with -9 leaves its registrations; the next Depot proves them its own (the ledger) and replaces them. */
    @Test
    void aKilledDepotsRegistrationsAreReplacedByTheNextDepot() throws Exception {
        aKilledDepotIsReplaced("killed", "unix /run/rpcbind.sock", "superuser");
    }

    /** The same through PMAPPROC_SET over TCP (rpcbind's socket out of sight): v2 shows no owner. */
    @Test
    void aKilledDepotsRegistrationsOverPortmapperV2AreReplacedByTheNextDepot() throws Exception {
        aKilledDepotIsReplaced("killed-tcp", "tcp 127.0.0.1:111 net:[", "-");
    }

    private void aKilledDepotIsReplaced(String scenario, String via, String owner) throws Exception {
        String out = scenario("portmap-owners-netns.sh", scenario);
        Matcher m = Pattern.compile("READY mode=SYSTEM_RPCBIND mount=(\\d+) advertised=3").matcher(out);
        assertTrue(m.find(), out);
        String first = m.group(1);
        assertTrue(m.find(), out);
        String second = m.group(1);
        assertFalse(first.equals(second), out);
        assertPrintedMatching(out, section(out, "== after kill -9"), "100005\\s+3\\s+udp\\s+" + first + "\\s+mountd");
        String now = section(out, "== second Depot");
        assertPrintedMatching(out, now, "100005\\s+1\\s+tcp\\s+" + second + "\\s+mountd", "100005\\s+3\\s+tcp\\s+" + second + "\\s+mountd",
                "100005\\s+3\\s+udp\\s+" + second + "\\s+mountd");
        assertFalse(now.contains(" " + first + " "), "the killed Depot's entries must be replaced:\n" + out);
        assertPrinted(out, section(out, "== rpcinfo -u"), "program 100005 version 3 ready and waiting");
        assertPrinted(out, section(out, "== rpcinfo -t"), "program 100005 version 1 ready and waiting");
        assertPrinted(out, section(out, "== ledger"), "via " + via, "entry 100005 3 udp " + uaddr(Integer.parseInt(second)) + " " + owner);
        assertFalse(section(out, "== after shutdown").contains("mountd"), out);
        assertPrinted(out, section(out, "== ledger after shutdown"), "== ledger after shutdown\n(end of ledger)");
    }

    /** The text from {@code header} to the next "== " header. */
    private static String section(String out, String header) {
        int start = out.indexOf(header);
        assertTrue(start >= 0, "no " + header + " in:\n" + out);
        int end = out.indexOf("\n== ", start + header.length());
        return out.substring(start, end < 0 ? out.length() : end + 1);
    }

    private static String uaddr(int port) {
        return "0.0.0.0." + (port >> 8) + "." + (port & 0xff);
    }

    /** The regex of the port part of a universal address: ".P1.P2". */
    private static String uaddrPort(String port) {
        int p = Integer.parseInt(port);
        return "\\." + (p >> 8) + "\\." + (p & 0xff);
    }
}
