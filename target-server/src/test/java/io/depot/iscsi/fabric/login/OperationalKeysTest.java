package io.depot.iscsi.fabric.login;

import static io.depot.iscsi.fabric.login.Initiator.FULL_FEATURE;
import static io.depot.iscsi.fabric.login.Initiator.OPERATIONAL;
import static io.depot.iscsi.fabric.login.Initiator.answers;
import static io.depot.iscsi.fabric.login.Initiator.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each operational key of RFC 7143 §13 offered alone in a normal session with
 * {@link TargetLimits#defaults()} (MaxBurstLength 1 MiB, FirstBurstLength 256 KiB, one R2T, one
 * connection): the answer we give, or no answer at all ("-") for declaratives.
 */
class OperationalKeysTest {

    private static Map<String, String> offer(String pair) {
        Initiator i = new Initiator();
        LoginResponse r = i.send(OPERATIONAL, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, pair);
        assertStatus(LoginStatus.SUCCESS, r);
        return answers(r);
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // List negotiation (§6.2.1): the first value in the initiator's order that we support.
        "HeaderDigest        | CRC32C,None      | CRC32C",
        "HeaderDigest        | None,CRC32C      | None",
        "HeaderDigest        | MD5,CRC32C       | CRC32C",
        "HeaderDigest        | MD5              | Reject",
        "HeaderDigest        | crc32c           | Reject",
        "DataDigest          | CRC32C           | CRC32C",
        "DataDigest          | None             | None",
        "TaskReporting       | FastAbort,RFC3720 | RFC3720",
        "TaskReporting       | ResponseFence    | Reject",
        // Numerical minimum.
        "MaxBurstLength      | 16776192         | 1048576",
        "MaxBurstLength      | 65536            | 65536",
        "MaxBurstLength      | 0x10000          | 65536",
        "MaxBurstLength      | 0bAAEAAA==       | 65536",
        "MaxBurstLength      | 512              | 512",
        "MaxBurstLength      | 511              | Reject",
        "MaxBurstLength      | 16777216         | Reject",
        "MaxBurstLength      | -1               | Reject",
        "MaxBurstLength      | 1e6              | Reject",
        "MaxBurstLength      | 99999999999999999999999 | Reject",
        "FirstBurstLength    | 1048576          | 262144",
        "FirstBurstLength    | 8192             | 8192",
        "FirstBurstLength    | 100              | Reject",
        "MaxConnections      | 8                | 1",
        "MaxConnections      | 0                | Reject",
        "MaxConnections      | 65536            | Reject",
        "MaxOutstandingR2T   | 16               | 1",
        "MaxOutstandingR2T   | 0                | Reject",
        "DefaultTime2Retain  | 0                | 0",
        "DefaultTime2Retain  | 60               | 20",
        "DefaultTime2Retain  | 3601             | Reject",
        "ErrorRecoveryLevel  | 2                | 0",
        "ErrorRecoveryLevel  | 0                | 0",
        "ErrorRecoveryLevel  | 3                | Reject",
        "iSCSIProtocolLevel  | 2                | 1",
        "iSCSIProtocolLevel  | 0                | 0",
        "iSCSIProtocolLevel  | 32               | Reject",
        // Numerical maximum.
        "DefaultTime2Wait    | 0                | 2",
        "DefaultTime2Wait    | 10               | 10",
        "DefaultTime2Wait    | 3601             | Reject",
        // Boolean OR (ours: InitialR2T No, in-order Yes) and AND (ImmediateData Yes, markers and iSER No).
        "InitialR2T          | Yes              | Yes",
        "InitialR2T          | No               | No",
        "InitialR2T          | yes              | Reject",
        "ImmediateData       | Yes              | Yes",
        "ImmediateData       | No               | No",
        "ImmediateData       | ''               | Reject",
        "DataPDUInOrder      | No               | Yes",
        "DataSequenceInOrder | No               | Yes",
        "DataSequenceInOrder | Maybe            | Reject",
        "IFMarker            | Yes              | No",
        "OFMarker            | No               | No",
        "IFMarkInt           | 2048~8192        | Irrelevant",
        "OFMarkInt           | 1~65535          | Irrelevant",
        "RDMAExtensions      | Yes              | No",
        // Keys we do not know, private extensions included (§6.2, §13.5).
        "X-com.example.Tuning | 7               | NotUnderstood",
        "X#private.key       | a                | NotUnderstood",
        "FutureKey           | Yes              | NotUnderstood",
        "SendTargets         | All              | Reject",
        // Declaratives get no answer.
        "X#NodeArchitecture  | Linux,open-iscsi | -",
        "MaxRecvDataSegmentLength | 8192        | -",
        "InitiatorAlias      | host one         | -",
    })
    void keyIsAnsweredPerItsRule(String key, String offered, String expected) {
        Map<String, String> a = offer(key + "=" + offered);
        if (expected.equals("-")) {
            assertFalse(a.containsKey(key) && !key.equals("MaxRecvDataSegmentLength"), key + " is not answered");
            if (key.equals("MaxRecvDataSegmentLength")) {
                assertEquals("262144", a.get(key), "only our own declaration");
            }
        } else {
            assertEquals(expected, a.get(key));
        }
    }

    @ParameterizedTest(name = "{0}={1} gives {2}")
    @CsvSource(delimiter = '|', value = {
        "HeaderDigest=CRC32C         | headerDigest  | CRC32C",
        "DataDigest=CRC32C,None      | dataDigest    | CRC32C",
        "HeaderDigest=MD5            | headerDigest  | NONE",
        "MaxRecvDataSegmentLength=0x1000 | initiatorMrdsl | 4096",
        "MaxRecvDataSegmentLength=16777215 | initiatorMrdsl | 16777215",
    })
    void connectionParametersFollowTheAnswers(String pair, String field, String expected) {
        Initiator i = new Initiator();
        i.send(OPERATIONAL, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN, pair);
        ConnectionParameters c = i.login.result().connection();
        String actual = switch (field) {
            case "headerDigest" -> c.headerDigest().name();
            case "dataDigest" -> c.dataDigest().name();
            default -> Integer.toString(c.initiatorMaxRecvDataSegmentLength());
        };
        assertEquals(expected, actual);
    }

    @Test
    void firstBurstNeverExceedsMaxBurstWhicheverComesFirst() {
        Initiator i = new Initiator();
        Map<String, String> a = answers(i.send(OPERATIONAL, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, "FirstBurstLength=262144", "MaxBurstLength=131072"));
        assertEquals("131072", a.get("MaxBurstLength"));
        assertEquals("131072", a.get("FirstBurstLength"), "§13.14: FirstBurstLength <= MaxBurstLength");
        assertEquals(131072, i.login.result().session().firstBurstLength());

        Initiator j = new Initiator();
        a = answers(j.send(OPERATIONAL, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, "MaxBurstLength=16384", "FirstBurstLength=65536"));
        assertEquals("16384", a.get("FirstBurstLength"));
    }

    @Test
    void rejectedKeysKeepTheirDefaults() {
        Initiator i = new Initiator();
        i.send(OPERATIONAL, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR, "TargetName=" + TestTargets.OPEN,
                "MaxBurstLength=1", "InitialR2T=Perhaps", "ErrorRecoveryLevel=9");
        assertEquals(SessionParameters.DEFAULTS, i.login.result().session());
    }

    @Test
    void largerLimitsAreOfferedAsConfigured() {
        TargetLimits limits = new TargetLimits(1048576, 16777215, 16777215, 8, 4, null);
        Initiator i = new Initiator(TestTargets.standard(), limits);
        Map<String, String> a = answers(i.send(OPERATIONAL, FULL_FEATURE, true, "InitiatorName=" + TestTargets.INITIATOR,
                "TargetName=" + TestTargets.OPEN, "MaxBurstLength=16776192", "FirstBurstLength=16776192",
                "MaxOutstandingR2T=16", "MaxConnections=2"));
        assertEquals("16776192", a.get("MaxBurstLength"));
        assertEquals("16776192", a.get("FirstBurstLength"));
        assertEquals("8", a.get("MaxOutstandingR2T"));
        assertEquals("2", a.get("MaxConnections"));
        assertEquals("1048576", a.get("MaxRecvDataSegmentLength"));
        assertEquals(1048576, i.login.result().connection().targetMaxRecvDataSegmentLength());
    }

    @Test
    void windowsStyleOfferNegotiatesEveryKey() {
        // The keys and order the Microsoft initiator sends in its operational stage.
        Initiator i = new Initiator();
        Map<String, String> a = answers(i.send(OPERATIONAL, FULL_FEATURE, true,
                "InitiatorName=" + TestTargets.OTHER_INITIATOR, "InitiatorAlias=WIN2022", "TargetName=" + TestTargets.PRIVATE,
                "SessionType=Normal", "HeaderDigest=None", "DataDigest=None", "ErrorRecoveryLevel=0",
                "InitialR2T=Yes", "ImmediateData=Yes", "MaxBurstLength=262144", "FirstBurstLength=65536",
                "MaxOutstandingR2T=1", "MaxConnections=1", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes",
                "DefaultTime2Wait=2", "DefaultTime2Retain=20", "MaxRecvDataSegmentLength=65536",
                "IFMarker=No", "OFMarker=No"));
        assertEquals("Yes", a.get("InitialR2T"));
        assertEquals("65536", a.get("FirstBurstLength"));
        assertEquals("20", a.get("DefaultTime2Retain"));
        assertEquals(SessionParameters.DEFAULTS, i.login.result().session());
        assertEquals("WIN2022", i.login.result().initiatorAlias());
    }
}
