package io.depot.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class VolumeOwnerTest extends PoolFixture {

    @Test
    void ownerIsSetAtCreationListedAndSurvivesReopen() {
        pool().createVolume("plain", MiB);
        Volume file = pool.createVolume("file-1", MiB, VolumeOwner.nfsFile("ds-7"));
        Volume replica = pool.createVolume("r", MiB, VolumeOwner.replica("site-b"));
        assertEquals(VolumeOwner.USER, pool.volume("plain").owner());
        assertEquals(new VolumeOwner(VolumeOwner.Kind.NFS_FILE, "ds-7"), file.owner());
        assertEquals(VolumeOwner.Kind.REPLICA, replica.owner().kind());

        // every record rewrite keeps it: rename, resize, snapshot (the epoch bump), flush
        file.rename("file-2");
        file.grow(2 * MiB);
        file.createSnapshot("s");
        reopen();
        Map<String, VolumeOwner> listed = pool.volumes().stream().collect(Collectors.toMap(Volume::name, Volume::owner));
        assertEquals(Map.of("plain", VolumeOwner.USER, "file-2", VolumeOwner.nfsFile("ds-7"), "r", VolumeOwner.replica("site-b")),
                listed);
        assertTrue(pool.volume("plain").owner().isUser());
        assertFalse(pool.volume("file-2").owner().isUser());
    }

    @Test
    void clonesAreTheUsersUnlessAskedToKeepTheOwner() throws Exception {
        Volume file = pool().createVolume("file", MiB, VolumeOwner.nfsFile("ds"));
        write(file, 0, 1, 65536);
        Snapshot s = file.createSnapshot("s");
        Volume plain = s.linkedClone("plain-clone");
        Volume kept = s.linkedClone("kept-clone", file.owner());
        Volume full = s.fullClone("full-clone", VolumeOwner.replica("x"));
        assertEquals(VolumeOwner.USER, plain.owner());
        assertEquals(VolumeOwner.nfsFile("ds"), kept.owner());
        assertTrue(full.flattenJob().await(30, TimeUnit.SECONDS));
        assertTrue(full.flattenJob().isFinished());
        reopen();
        assertEquals(VolumeOwner.USER, pool.volume("plain-clone").owner());
        assertEquals(VolumeOwner.nfsFile("ds"), pool.volume("kept-clone").owner());
        assertEquals(VolumeOwner.replica("x"), pool.volume("full-clone").owner(), "the flatten's record rewrite keeps it");
        assertFalse(pool.volume("full-clone").isLinkedClone());
        assertEquals(java.util.List.of(), pool.verify());
    }

    @Test
    void aVolumeMadeBeforeOwnersCanBeAdoptedDurably() throws Exception {
        Volume old = pool().createVolume("legacy", MiB); // what an older build made: the user's
        write(old, 0, 1, 65536);
        old.setOwner(VolumeOwner.nfsFile("ds"));
        assertEquals(VolumeOwner.nfsFile("ds"), old.owner());
        old.setOwner(VolumeOwner.nfsFile("ds")); // the same owner again: nothing to do
        reopen();
        Volume adopted = pool.volume("legacy");
        assertEquals(VolumeOwner.nfsFile("ds"), adopted.owner(), "the adoption survives reopen");
        adopted.setOwner(VolumeOwner.USER);
        reopen();
        assertEquals(VolumeOwner.USER, pool.volume("legacy").owner(), "and can be given back");
        assertThrows(NullPointerException.class, () -> pool.volume("legacy").setOwner(null));
        Volume doomed = pool.volume("legacy");
        doomed.delete();
        assertThrows(NoSuchVolumeException.class, () -> doomed.setOwner(VolumeOwner.replica("x")));
        assertEquals(java.util.List.of(), pool.verify());
    }

    @Test
    void refusesAMissingOwnerOrAnOverlongReference() {
        assertThrows(NullPointerException.class, () -> pool().createVolume("v", MiB, null));
        assertThrows(InvalidIoException.class, () -> VolumeOwner.nfsFile("x".repeat(256)));
        assertThrows(PoolFormatException.class, () -> VolumeOwner.Kind.ofCode(99));
    }
}
