package io.packetlens.guard;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * One sampled drop ({@code struct pl_guard_event}): when, which generation's ruleset, why, which kernel rule (or
 * {@link GuardLayout#NO_RULE}), and the frame's first bytes (up to {@value GuardLayout#SAMPLE_BYTES}).
 */
public record DropSample(long kernelNanos, long generation, int frameLength, int kernelRule, DropReason reason, int slot,
                         int family, int protocol, int ifindex, byte[] header) {
    static DropSample read(MemorySegment e) {
        int cap = Short.toUnsignedInt(e.get(JAVA_SHORT_UNALIGNED, GuardLayout.Event.CAP_LEN));
        byte[] data = new byte[Math.min(cap, GuardLayout.SAMPLE_BYTES)];
        MemorySegment.copy(e, JAVA_BYTE, GuardLayout.Event.DATA, data, 0, data.length);
        return new DropSample(e.get(JAVA_LONG_UNALIGNED, GuardLayout.Event.TS_NS), e.get(JAVA_LONG_UNALIGNED, GuardLayout.Event.GENERATION),
                e.get(JAVA_INT_UNALIGNED, GuardLayout.Event.PKT_LEN), Short.toUnsignedInt(e.get(JAVA_SHORT_UNALIGNED, GuardLayout.Event.RULE)),
                DropReason.ofSlot(e.get(JAVA_BYTE, GuardLayout.Event.REASON)), e.get(JAVA_BYTE, GuardLayout.Event.SLOT),
                e.get(JAVA_BYTE, GuardLayout.Event.FAMILY), Byte.toUnsignedInt(e.get(JAVA_BYTE, GuardLayout.Event.PROTO)),
                e.get(JAVA_INT_UNALIGNED, GuardLayout.Event.IFINDEX), data);
    }
}
