package io.depot.engine.core;

import static org.junit.jupiter.api.Assertions.*;

import io.depot.engine.PoolFormatException;
import io.depot.engine.VolumeOwner;
import io.depot.engine.core.Records.VolumeRecord;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Volume records stay readable across the addition of owners, in both directions where it is safe. */
class RecordsFormatTest {
    private static final UUID ID = new UUID(1, 2);

    /** A volume record exactly as builds before owners wrote it (format 1, no owner). */
    private static byte[] formatOneRecord() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(1);
        out.writeLong(7);
        out.writeLong(ID.getMostSignificantBits());
        out.writeLong(ID.getLeastSignificantBits());
        out.writeUTF("vol");
        out.writeLong(4096);
        out.writeLong(3);
        out.writeLong(0);
        out.writeLong(0);
        out.writeBoolean(false);
        out.writeLong(1234);
        out.flush();
        return bytes.toByteArray();
    }

    @Test
    void aRecordWrittenBeforeOwnersReadsAsTheUsers() throws IOException {
        VolumeRecord r = VolumeRecord.decode(formatOneRecord());
        assertEquals(new VolumeRecord(7, ID, "vol", 4096, 3, 0, 0, false, 1234, VolumeOwner.USER), r);
    }

    @Test
    void aUsersVolumeIsStillWrittenInFormatOne() throws IOException {
        VolumeRecord r = new VolumeRecord(7, ID, "vol", 4096, 3, 0, 0, false, 1234, VolumeOwner.USER);
        assertArrayEquals(formatOneRecord(), r.encode(), "older builds can still open a pool of user volumes");
    }

    @Test
    void anOwnedVolumeRoundTripsInFormatTwo() {
        VolumeRecord r = new VolumeRecord(7, ID, "vol", 4096, 3, 5, 2, true, 1234, VolumeOwner.nfsFile("ds-1"));
        byte[] b = r.encode();
        assertEquals(2, b[0], "a build that does not know owners refuses the record instead of dropping the owner");
        assertEquals(r, VolumeRecord.decode(b));
    }

    @Test
    void anUnknownFormatIsRefused() throws IOException {
        byte[] b = formatOneRecord();
        b[0] = 3;
        assertThrows(PoolFormatException.class, () -> VolumeRecord.decode(b));
    }
}
