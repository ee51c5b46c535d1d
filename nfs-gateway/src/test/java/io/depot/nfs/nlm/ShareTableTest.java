package io.depot.nfs.nlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Share reservations: the X/Open conflict rule, one reservation per owner, unshare and a host's reboot. */
class ShareTableTest {
    static final int NONE = 0;
    static final int READ = 1;
    static final int WRITE = 2;
    static final int BOTH = 3;

    private final ShareTable table = new ShareTable();

    static ShareReservation share(String host, int owner, int access, int deny) {
        return new ShareReservation(1, host, new byte[] {(byte) owner}, access, deny);
    }

    @Test
    void accessDeniedByTheOthersModeConflictsBothWays() {
        assertTrue(share("a", 1, READ, WRITE).conflictsWith(share("b", 2, WRITE, NONE)), "b writes, a denies writing");
        assertTrue(share("b", 2, WRITE, NONE).conflictsWith(share("a", 1, READ, WRITE)), "symmetric");
        assertTrue(share("a", 1, NONE, READ).conflictsWith(share("b", 2, READ, NONE)));
        assertTrue(share("a", 1, BOTH, BOTH).conflictsWith(share("b", 2, READ, NONE)));
        assertFalse(share("a", 1, READ, WRITE).conflictsWith(share("b", 2, READ, WRITE)), "two readers denying writers");
        assertFalse(share("a", 1, BOTH, NONE).conflictsWith(share("b", 2, BOTH, NONE)), "deny nothing: share everything");
        assertFalse(share("a", 1, NONE, NONE).conflictsWith(share("b", 2, BOTH, BOTH)));
        assertFalse(share("a", 1, BOTH, BOTH).conflictsWith(share("a", 1, BOTH, BOTH)), "an owner never conflicts with itself");
        assertTrue(share("a", 1, BOTH, BOTH).conflictsWith(share("a", 2, READ, NONE)), "another owner handle on the same host does");
        assertFalse(share("a", 1, BOTH, BOTH).conflictsWith(new ShareReservation(2, "b", new byte[] {2}, BOTH, BOTH)), "another file");
    }

    @Test
    void anOwnerHoldsOneReservationPerFile() {
        assertEquals(Optional.empty(), table.share(share("a", 1, READ, WRITE)));
        assertEquals(Optional.of(share("a", 1, READ, WRITE)), table.share(share("b", 2, WRITE, NONE)));
        assertEquals(Optional.empty(), table.share(share("a", 1, READ, NONE)), "replaced: no longer denies writers");
        assertEquals(Optional.empty(), table.share(share("b", 2, WRITE, NONE)));
        assertEquals(2, table.all().size());
        assertTrue(table.unshare(1, "a", new byte[] {1}));
        assertFalse(table.unshare(1, "a", new byte[] {1}));
        assertEquals(List.of(share("b", 2, WRITE, NONE)), table.all());
    }

    @Test
    void aRebootDropsTheHostsReservationsOnly() {
        table.share(share("a", 1, READ, NONE));
        table.share(share("a", 3, READ, NONE));
        table.share(share("b", 2, READ, NONE));
        assertEquals(2, table.releaseAll("a"));
        assertEquals(List.of(share("b", 2, READ, NONE)), table.all());
        assertEquals(Optional.of(share("b", 2, READ, NONE)), table.share(share("c", 4, WRITE, BOTH)), "b's still there");
    }
}
