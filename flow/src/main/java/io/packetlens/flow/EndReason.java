package io.packetlens.flow;

/** Why a flow record was finished, with the matching IPFIX {@code flowEndReason} (information element 136). */
public enum EndReason {
    /** No packet for the idle timeout: the flow is over and its table entry removed. IPFIX 1 (idle timeout). */
    IDLE(1),
    /** Running longer than the active timeout: a record for what it did so far; the flow goes on. IPFIX 2. */
    ACTIVE(2),
    /** Monitoring stopped (or the entry vanished from the table): whatever was counted is reported. IPFIX 4 (forced end). */
    END(4),
    /** Removed early because the flow table was filling up. IPFIX 5 (lack of resources). */
    EVICTED(5);

    private final int ipfixCode;

    EndReason(int ipfixCode) {
        this.ipfixCode = ipfixCode;
    }

    public int ipfixCode() {
        return ipfixCode;
    }
}
