package io.packetlens.flow;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * What the aggregator knows about one flow-table entry: the kernel's cumulative record as of the last read (mutable,
 * filled in place so that polling allocates nothing for known flows) and what has already been exported.
 */
final class FlowState {
    final RawKey raw;
    final FlowKey key;

    // the kernel's record, cumulative since the entry was created
    long packets, bytes, firstNanos, lastNanos;
    int minLength, maxLength, tcpFlags, dscp;
    boolean fragments;

    /** Packets and bytes before the last read (for rates) and already exported in records. */
    long previousPackets, previousBytes, exportedPackets, exportedBytes;
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

    FlowState(RawKey raw, FlowKey key) {
        this.raw = raw;
        this.key = key;
    }

    /**
     * Reads a value: one record, or {@code cpus} per-CPU slots of {@link FlowRecord#SIZE} bytes merged (counts summed,
     * times and lengths spanned over the CPUs that saw packets, flags ORed, DSCP of the earliest CPU).
     */
    void read(MemorySegment v, long off, boolean perCpu, int cpus) {
        previousPackets = packets;
        previousBytes = bytes;
        if (!perCpu) {
            packets = v.get(JAVA_LONG_UNALIGNED, off + FlowRecord.PACKETS);
            bytes = v.get(JAVA_LONG_UNALIGNED, off + FlowRecord.BYTES);
            firstNanos = v.get(JAVA_LONG_UNALIGNED, off + FlowRecord.FIRST_NS);
            lastNanos = v.get(JAVA_LONG_UNALIGNED, off + FlowRecord.LAST_NS);
            minLength = v.get(JAVA_INT_UNALIGNED, off + FlowRecord.MIN_LEN);
            maxLength = v.get(JAVA_INT_UNALIGNED, off + FlowRecord.MAX_LEN);
            tcpFlags = v.get(JAVA_INT_UNALIGNED, off + FlowRecord.TCP_FLAGS);
            dscp = Byte.toUnsignedInt(v.get(JAVA_BYTE, off + FlowRecord.DSCP));
            fragments = v.get(JAVA_BYTE, off + FlowRecord.FRAGMENTS) != 0;
            return;
        }
        long p = 0, b = 0, first = Long.MAX_VALUE, last = 0;
        int min = Integer.MAX_VALUE, max = 0, flags = 0, ds = 0;
        boolean frags = false;
        for (int c = 0; c < cpus; c++) {
            long o = off + (long) c * FlowRecord.SIZE;
            long cp = v.get(JAVA_LONG_UNALIGNED, o + FlowRecord.PACKETS);
            if (cp == 0) continue;
            p += cp;
            b += v.get(JAVA_LONG_UNALIGNED, o + FlowRecord.BYTES);
            long f = v.get(JAVA_LONG_UNALIGNED, o + FlowRecord.FIRST_NS);
            if (f < first) {
                first = f;
                ds = Byte.toUnsignedInt(v.get(JAVA_BYTE, o + FlowRecord.DSCP));
            }
            last = Math.max(last, v.get(JAVA_LONG_UNALIGNED, o + FlowRecord.LAST_NS));
            min = Math.min(min, v.get(JAVA_INT_UNALIGNED, o + FlowRecord.MIN_LEN));
            max = Math.max(max, v.get(JAVA_INT_UNALIGNED, o + FlowRecord.MAX_LEN));
            flags |= v.get(JAVA_INT_UNALIGNED, o + FlowRecord.TCP_FLAGS);
            frags |= v.get(JAVA_BYTE, o + FlowRecord.FRAGMENTS) != 0;
        }
        packets = p;
        bytes = b;
        firstNanos = p == 0 ? 0 : first;
        lastNanos = last;
        minLength = p == 0 ? 0 : min;
        maxLength = max;
        tcpFlags = flags;
        dscp = ds;
        fragments = frags;
    }

    long unexportedPackets() {
        return packets - exportedPackets;
    }

    long unexportedBytes() {
        return bytes - exportedBytes;
    }
}
