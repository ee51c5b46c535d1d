package io.depot.iscsi.fabric.login;

/**
 * What this target offers in operational negotiation (RFC 7143 §13).
 *
 * <p>Each limit must be at least the RFC default of its key: an initiator that does not mention a
 * key gets the default, and we never propose keys of our own (a target proposal would need an
 * extra round trip some initiators handle badly).
 *
 * @param maxRecvDataSegmentLength what we declare and accept per data segment
 * @param maxBurstLength our offer for MaxBurstLength (result: the minimum of both sides)
 * @param firstBurstLength our offer for FirstBurstLength (result: minimum, never above MaxBurstLength)
 * @param maxOutstandingR2T our offer for MaxOutstandingR2T (minimum)
 * @param maxConnections our offer for MaxConnections (minimum)
 * @param discoveryChap the secret discovery sessions must prove, or null for open discovery
 */
public record TargetLimits(
        int maxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        int maxOutstandingR2T,
        int maxConnections,
        ChapSecret discoveryChap) {

    static final int MAX_SEGMENT = (1 << 24) - 1;

    public TargetLimits {
        require(maxRecvDataSegmentLength >= 512 && maxRecvDataSegmentLength <= MAX_SEGMENT,
                "maxRecvDataSegmentLength must be 512..2^24-1");
        require(maxBurstLength >= SessionParameters.DEFAULTS.maxBurstLength() && maxBurstLength <= MAX_SEGMENT,
                "maxBurstLength must be 262144..2^24-1");
        require(firstBurstLength >= SessionParameters.DEFAULTS.firstBurstLength() && firstBurstLength <= maxBurstLength,
                "firstBurstLength must be 65536..maxBurstLength");
        require(maxOutstandingR2T >= 1 && maxOutstandingR2T <= 65535, "maxOutstandingR2T must be 1..65535");
        require(maxConnections >= 1 && maxConnections <= 65535, "maxConnections must be 1..65535");
    }

    /** 256 KiB segments, 1 MiB bursts (256 KiB unsolicited), one R2T and one connection per session. */
    public static TargetLimits defaults() {
        return new TargetLimits(262144, 1048576, 262144, 1, 1, null);
    }

    public TargetLimits withDiscoveryChap(ChapSecret secret) {
        return new TargetLimits(maxRecvDataSegmentLength, maxBurstLength, firstBurstLength, maxOutstandingR2T,
                maxConnections, secret);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
