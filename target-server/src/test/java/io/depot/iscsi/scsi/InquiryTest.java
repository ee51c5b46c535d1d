package io.depot.iscsi.scsi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class InquiryTest extends ScsiFixture {

    static byte[] inquiry(boolean evpd, int page, int allocation) {
        return cdb(0x12, evpd ? 1 : 0, page, allocation >>> 8, allocation & 0xff, 0);
    }

    @Test
    void standardDataDescribesAnSpc4BlockDevice() {
        Reply r = exec(inquiry(false, 0, 255));
        assertGood(r);
        assertEquals(0x00, r.u8(0), "qualifier 000b, direct access");
        assertEquals(0x06, r.u8(2), "SPC-4");
        assertEquals(0x02, r.u8(3) & 0x0f, "response data format 2");
        assertEquals(r.data().length - 5, r.u8(4), "additional length");
        assertEquals(0x10, r.u8(5) & 0x30, "TPGS 01b: implicit ALUA");
        assertEquals(0, r.u8(5) & 0x08, "no 3PC without copy offload");
        assertEquals(0x02, r.u8(7) & 0x02, "CMDQUE");
        assertEquals("DEPOT   ", new String(r.data(), 8, 8, StandardCharsets.US_ASCII));
        List<Integer> versions = new ArrayList<>();
        for (int i = 58; i < 74; i += 2) {
            versions.add(r.u16(i));
        }
        assertTrue(versions.containsAll(List.of(0x00a0, 0x0460, 0x04c0, 0x0960)), versions.toString());
        // allocation length truncates without error
        assertEquals(36, exec(inquiry(false, 0, 36)).data().length);
        assertEquals(5, exec(inquiry(false, 0, 5)).data().length);
    }

    @Test
    void threePartyCopyBitFollowsCopyOffload() {
        target = newTarget(new CopyOffload() {
            @Override public ScsiResult extendedCopy(ScsiCommand command) { return ScsiResult.OK; }
            @Override public ScsiResult receiveCopyResults(ScsiCommand command) { return ScsiResult.OK; }
        });
        target.mapLun(0, io.depot.iscsi.backstore.EngineBackend.of(volume));
        assertEquals(0x08, exec(inquiry(false, 0, 96)).u8(5) & 0x08);
    }

    @Test
    void pageCodeWithoutEvpdAndUnknownPagesAreInvalidFields() {
        assertInvalidCdbField(exec(inquiry(false, 0x83, 255)), 2, -1);
        assertInvalidCdbField(exec(inquiry(true, 0x99, 255)), 2, -1);
        assertInvalidCdbField(exec(cdb(0x12, 0x02, 0, 0, 255, 0)), 1, 1);   // obsolete CMDDT
    }

    @Test
    void everyListedVpdPageIsReadable() {
        Reply r = exec(inquiry(true, 0x00, 255));
        assertGood(r);
        int n = r.u16(2);
        int[] pages = new int[n];
        for (int i = 0; i < n; i++) {
            pages[i] = r.u8(4 + i);
        }
        assertArrayEquals(new int[] {0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2}, pages);
        for (int p : pages) {
            Reply page = exec(inquiry(true, p, 255));
            assertGood(page);
            assertEquals(p, page.u8(1));
            assertEquals(page.data().length - 4, page.u16(2), "page length of " + p);
        }
    }

    @Test
    void serialAndDeviceIdentificationComeFromTheVolumeAndTheNexus() {
        Reply serial = exec(inquiry(true, 0x80, 255));
        assertEquals(DeviceIdentity.serial(volume.uuid()), new String(serial.data(), 4, serial.u16(2), StandardCharsets.US_ASCII));

        Reply id = exec(inquiry(true, 0x83, 255));
        assertGood(id);
        byte[] d = id.data();
        boolean naa = false, relPort = false, group = false, portName = false, deviceName = false;
        for (int at = 4; at < d.length; ) {
            int codeSet = d[at] & 0x0f;
            int association = (d[at + 1] >>> 4) & 0x03;
            int type = d[at + 1] & 0x0f;
            boolean piv = (d[at + 1] & 0x80) != 0;
            int len = d[at + 3] & 0xff;
            byte[] value = Arrays.copyOfRange(d, at + 4, at + 4 + len);
            if (type == 3 && association == 0) {
                assertArrayEquals(DeviceIdentity.naa(volume.uuid()), value);
                assertEquals(0x6, (value[0] >>> 4) & 0x0f, "NAA 6");
                naa = true;
            } else if (type == 4) {
                assertEquals(1, association);
                assertTrue(piv);
                assertEquals(5, (d[at] >>> 4) & 0x0f, "protocol iSCSI");
                assertEquals(NEXUS.relativePortId(), Fields.u16(value, 2));
                relPort = true;
            } else if (type == 5) {
                assertEquals(NEXUS.portalGroupTag(), Fields.u16(value, 2));
                group = true;
            } else if (type == 8) {
                assertEquals(3, codeSet, "UTF-8");
                assertEquals(0, len % 4, "padded to 4");
                String name = new String(value, StandardCharsets.UTF_8).replace("\0", "");
                if (association == 1) {
                    assertEquals(NEXUS.targetPortName(), name);
                    portName = true;
                } else {
                    assertEquals(2, association);
                    assertEquals(NEXUS.targetName(), name);
                    deviceName = true;
                }
            }
            at += 4 + len;
        }
        assertTrue(naa && relPort && group && portName && deviceName);
    }

    @Test
    void blockLimitsAndProvisioningPagesAdvertiseTheLimits() {
        Reply bl = exec(inquiry(true, 0xb0, 255));
        assertEquals(0x3c, bl.u16(2));
        assertEquals(1, bl.u8(4) & 0x01, "WSNZ");
        assertEquals(255, bl.u8(5), "MAXIMUM COMPARE AND WRITE LENGTH");
        assertEquals(128, bl.u16(6));
        assertEquals(16384, bl.u32(8));
        assertEquals(BlockLimits.MAX_UNMAP_BLOCKS, bl.u32(20));
        assertEquals(BlockLimits.MAX_UNMAP_DESCRIPTORS, bl.u32(24));
        assertEquals(128, bl.u32(28));
        assertEquals(32768, bl.u64(36), "MAXIMUM WRITE SAME LENGTH");
        Reply bdc = exec(inquiry(true, 0xb1, 255));
        assertEquals(1, bdc.u16(4), "non-rotating");
        Reply lbp = exec(inquiry(true, 0xb2, 255));
        assertEquals(0xe4, lbp.u8(5) & 0xe6, "LBPU LBPWS LBPWS10 LBPRZ, no ANC_SUP");
        assertEquals(0x02, lbp.u8(6) & 0x07, "thin");
    }

    @Test
    void absentLunAnswersInquiryWithQualifier011b() {
        Reply r = exec(9, NEXUS, inquiry(false, 0, 96), null);
        assertGood(r);
        assertEquals(0x7f, r.u8(0));
        assertCheck(exec(9, NEXUS, rw10(0x28, 0, 0, 1), null), SenseReason.LOGICAL_UNIT_NOT_SUPPORTED);
        assertCheck(exec(9, NEXUS, cdb(0, 0, 0, 0, 0, 0), null), SenseReason.LOGICAL_UNIT_NOT_SUPPORTED);
        Reply sense = exec(9, NEXUS, cdb(0x03, 0, 0, 0, 18, 0), null);
        assertGood(sense);
        assertEquals(0x25, sense.u8(12), "REQUEST SENSE returns LOGICAL UNIT NOT SUPPORTED as data");
        Reply luns = exec(9, NEXUS, cdb(0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0), null);
        assertGood(luns);
        assertEquals(8, luns.u32(0), "LUN 0 is listed from LUN 9 too");
    }
}
