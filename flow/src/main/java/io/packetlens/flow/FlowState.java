package io.packetlens.flow;


/**
 * What the aggregator knows about one flow-table entry: the kernel's cumulative record as of the last read (mutable,
 * filled in place so that polling allocates nothing for known flows) and what has already been exported.
 */
final class FlowState implements LiveFlow {
    final FlowKey key;

    // the kernel's record, cumulative since the entry was created
    long packets, bytes, ipBytes, firstNanos, lastNanos;
    int minLength, maxLength, tcpFlags, dscp;
    boolean fragments;
    /** A tunnelled flow's outer addresses, read once (the record keeps its first packet's), or null. */
    TunnelEnds outer;

    /** Packets and bytes before the last read (for rates) and already exported in records. */
    long previousPackets, previousBytes, exportedPackets, exportedBytes, exportedIpBytes;
    /** Start of the record being accumulated (monotonic ns), or -1 when no packet arrived since the last export. */
    long segmentStart;
    /**
     * When the record being accumulated began on the aggregator's clock, for the active timeout: the first packet's
     * kernel time for a new flow, the poll before the first packet was seen for later records.
     */
    long segmentOpened;
    /** End of the last exported record (monotonic ns), or -1. */
    long lastExportEnd = -1;
    long seenInPoll;
    boolean changed;
    /** Whether {@code flow_exported} holds this flow's reported counts (pinned tables only). */
    boolean persisted;
    private Object tag;
    /** Index in {@link FlowStates}' array. */
    int slot;

    FlowState(FlowKey key) {
        this.key = key;
    }

    /**
     * Reads a value copied into {@code longs} (native byte order) at long index {@code base}: one record, or
     * {@code cpus} per-CPU slots of {@link FlowRecord#SIZE} bytes merged (counts summed, times and lengths spanned over
     * the CPUs that saw packets, flags ORed, DSCP of the earliest CPU). Plain array reads: this runs for every flow on
     * every poll, and stays cheap even before the JIT has compiled it.
     */
    void read(long[] v, int base, boolean perCpu, int cpus) {
        previousPackets = packets;
        previousBytes = bytes;
        if (!perCpu) {
            packets = v[base + RecordWords.PACKETS];
            bytes = v[base + RecordWords.BYTES];
            ipBytes = v[base + RecordWords.IP_BYTES];
            firstNanos = v[base + RecordWords.FIRST_NS];
            lastNanos = v[base + RecordWords.LAST_NS];
            long lengths = v[base + RecordWords.LENGTHS], tail = v[base + RecordWords.TAIL];
            minLength = RecordWords.minLength(lengths);
            maxLength = RecordWords.maxLength(lengths);
            tcpFlags = RecordWords.tcpFlags(tail);
            dscp = RecordWords.dscp(tail);
            fragments = RecordWords.fragments(tail);
            if (outer == null && key.tunnel().isTunnel()) outer = RecordWords.outer(v, base + RecordWords.OUTER);
            return;
        }
        long p = 0, b = 0, ip = 0, first = Long.MAX_VALUE, last = 0;
        int min = Integer.MAX_VALUE, max = 0, flags = 0, ds = 0;
        boolean frags = false;
        for (int c = 0; c < cpus; c++) {
            int o = base + c * RecordWords.WORDS;
            long cp = v[o + RecordWords.PACKETS];
            if (cp == 0) continue;
            p += cp;
            b += v[o + RecordWords.BYTES];
            ip += v[o + RecordWords.IP_BYTES];
            long lengths = v[o + RecordWords.LENGTHS], tail = v[o + RecordWords.TAIL];
            long f = v[o + RecordWords.FIRST_NS];
            if (f < first) {
                first = f;
                ds = RecordWords.dscp(tail);
            }
            last = Math.max(last, v[o + RecordWords.LAST_NS]);
            min = Math.min(min, RecordWords.minLength(lengths));
            max = Math.max(max, RecordWords.maxLength(lengths));
            flags |= RecordWords.tcpFlags(tail);
            frags |= RecordWords.fragments(tail);
            if (outer == null && key.tunnel().isTunnel()) outer = RecordWords.outer(v, o + RecordWords.OUTER);
        }
        packets = p;
        bytes = b;
        ipBytes = ip;
        firstNanos = p == 0 ? 0 : first;
        lastNanos = last;
        minLength = p == 0 ? 0 : min;
        maxLength = max;
        tcpFlags = flags;
        dscp = ds;
        fragments = frags;
    }

    @Override
    public FlowKey key() {
        return key;
    }

    @Override
    public long packets() {
        return packets;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    @Override
    public long packetsLastInterval() {
        return packets - previousPackets;
    }

    @Override
    public long bytesLastInterval() {
        return bytes - previousBytes;
    }

    @Override
    public int tcpFlags() {
        return tcpFlags;
    }

    @Override
    public Object tag() {
        return tag;
    }

    @Override
    public void tag(Object tag) {
        this.tag = tag;
    }

    long unexportedPackets() {
        return packets - exportedPackets;
    }

    long unexportedBytes() {
        return bytes - exportedBytes;
    }

    long unexportedIpBytes() {
        return ipBytes - exportedIpBytes;
    }
}
