package io.depot.iscsi.fabric;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Tunables of the iSCSI fabric, with the limits that keep one client from exhausting memory.
 *
 * @param portal                    address to listen on (default 0.0.0.0:3260)
 * @param portalGroupTag            TPGT of the one portal group
 * @param commandWindow             commands a session may have outstanding (MaxCmdSN - ExpCmdSN + 1 when idle)
 * @param maxRecvDataSegmentLength  largest data segment we accept in Full Feature Phase
 * @param maxBurstLength            our limit for a solicited burst / data-in sequence
 * @param firstBurstLength          our limit for unsolicited data
 * @param maxOutstandingR2T         R2Ts we keep open per task
 * @param maxTransferLength         largest data transfer of one command (bytes); matches VPD B0h
 * @param maxSessions               sessions the server admits at once
 * @param nopInterval               idle time after which we ping the initiator with a NOP-In
 * @param nopTimeout                how long we wait for the NOP-Out answer before dropping the connection
 */
public record IscsiSettings(InetSocketAddress portal, int portalGroupTag, int commandWindow, int maxRecvDataSegmentLength,
                            int maxBurstLength, int firstBurstLength, int maxOutstandingR2T, int maxTransferLength,
                            int maxSessions, Duration nopInterval, Duration nopTimeout) {

    public static final int DEFAULT_PORT = 3260;

    public static IscsiSettings defaults() {
        return new IscsiSettings(new InetSocketAddress("0.0.0.0", DEFAULT_PORT), 1, 128, 256 * 1024,
                1024 * 1024, 256 * 1024, 4, 8 * 1024 * 1024, 512, Duration.ofSeconds(15), Duration.ofSeconds(30));
    }

    public IscsiSettings withPortal(InetSocketAddress portal) {
        return new IscsiSettings(portal, portalGroupTag, commandWindow, maxRecvDataSegmentLength, maxBurstLength,
                firstBurstLength, maxOutstandingR2T, maxTransferLength, maxSessions, nopInterval, nopTimeout);
    }

    public IscsiSettings withNop(Duration interval, Duration timeout) {
        return new IscsiSettings(portal, portalGroupTag, commandWindow, maxRecvDataSegmentLength, maxBurstLength,
                firstBurstLength, maxOutstandingR2T, maxTransferLength, maxSessions, interval, timeout);
    }

    public IscsiSettings withMaxSessions(int max) {
        return new IscsiSettings(portal, portalGroupTag, commandWindow, maxRecvDataSegmentLength, maxBurstLength,
                firstBurstLength, maxOutstandingR2T, maxTransferLength, max, nopInterval, nopTimeout);
    }
}
