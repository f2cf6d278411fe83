package io.packetlens.flow;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * What the kernel counted for one flow: {@code struct pl_flow_stats} of packetlens_flow.h, 88 bytes, summed over CPUs
 * when the table is per-CPU. Times are {@code bpf_ktime_get_ns()} (CLOCK_MONOTONIC); {@code bytes} are whole frames as
 * the hook saw them (IPFIX layer2OctetDeltaCount), {@code ipBytes} the sum of the packets' IP total lengths
 * (octetDeltaCount), and {@code minLength}/{@code maxLength} IP total lengths too; {@code tcpFlags} is the OR of every
 * segment's flags byte ({@link TcpFlags}); {@code dscp} is the first packet's; {@code fragments} says some packet of the
 * flow was an IP fragment; {@code outer} holds a tunnelled flow's outer addresses (null outside a tunnel).
 *
 * <pre>
 *  0  u64 packets    8  u64 bytes     16  u64 first_ns   24  u64 last_ns
 * 32  u32 min_len   36  u32 max_len   40  u32 tcp_flags  44  u8 dscp  45  u8 fragments  46  u16 reserved
 * 48  u64 ip_bytes  56  u8[16] outer_src   72  u8[16] outer_dst
 * </pre>
 */
public record FlowRecord(long packets, long bytes, long firstSeenNanos, long lastSeenNanos, int minLength,
                         int maxLength, int tcpFlags, int dscp, boolean fragments, long ipBytes, TunnelEnds outer) {
    public static final int SIZE = 88;
    public static final int PACKETS = 0;
    public static final int BYTES = 8;
    public static final int FIRST_NS = 16;
    public static final int LAST_NS = 24;
    public static final int MIN_LEN = 32;
    public static final int MAX_LEN = 36;
    public static final int TCP_FLAGS = 40;
    public static final int DSCP = 44;
    public static final int FRAGMENTS = 45;
    public static final int IP_BYTES = 48;
    public static final int OUTER_SRC = 56;
    public static final int OUTER_DST = 72;

    /** The record of a flow outside a tunnel. */
    public FlowRecord(long packets, long bytes, long firstSeenNanos, long lastSeenNanos, int minLength, int maxLength,
                      int tcpFlags, int dscp, boolean fragments, long ipBytes) {
        this(packets, bytes, firstSeenNanos, lastSeenNanos, minLength, maxLength, tcpFlags, dscp, fragments, ipBytes, null);
    }

    /** Reads one record (one CPU's slot of a per-CPU table) at {@code offset}. */
    public static FlowRecord read(MemorySegment src, long offset) {
        return new FlowRecord(src.get(JAVA_LONG_UNALIGNED, offset + PACKETS), src.get(JAVA_LONG_UNALIGNED, offset + BYTES),
                src.get(JAVA_LONG_UNALIGNED, offset + FIRST_NS), src.get(JAVA_LONG_UNALIGNED, offset + LAST_NS),
                src.get(JAVA_INT_UNALIGNED, offset + MIN_LEN), src.get(JAVA_INT_UNALIGNED, offset + MAX_LEN),
                src.get(JAVA_INT_UNALIGNED, offset + TCP_FLAGS), Byte.toUnsignedInt(src.get(JAVA_BYTE, offset + DSCP)),
                src.get(JAVA_BYTE, offset + FRAGMENTS) != 0, src.get(JAVA_LONG_UNALIGNED, offset + IP_BYTES),
                outer(src, offset));
    }

    private static TunnelEnds outer(MemorySegment src, long offset) {
        byte[] b = new byte[32];
        MemorySegment.copy(src, JAVA_BYTE, offset + OUTER_SRC, b, 0, 32);
        return TunnelEnds.of(b, 0, 16);
    }

    /**
     * Reads a per-CPU value ({@code cpus} slots of {@code stride} bytes) as one record: counts summed, times and
     * lengths spanned over the CPUs that saw packets, flags ORed, DSCP of the CPU that saw the first packet.
     */
    public static FlowRecord readPerCpu(MemorySegment src, long offset, int cpus, int stride) {
        FlowRecord sum = null;
        for (int c = 0; c < cpus; c++) {
            FlowRecord r = read(src, offset + (long) c * stride);
            if (r.packets == 0) continue;
            sum = sum == null ? r : sum.merge(r);
        }
        return sum == null ? read(src, offset) : sum;
    }

    /** The two records as one: what a single shared record would hold. */
    public FlowRecord merge(FlowRecord o) {
        boolean mineFirst = firstSeenNanos <= o.firstSeenNanos;
        return new FlowRecord(packets + o.packets, bytes + o.bytes, Math.min(firstSeenNanos, o.firstSeenNanos),
                Math.max(lastSeenNanos, o.lastSeenNanos), Math.min(minLength, o.minLength), Math.max(maxLength, o.maxLength),
                tcpFlags | o.tcpFlags, mineFirst ? dscp : o.dscp, fragments || o.fragments, ipBytes + o.ipBytes,
                outer != null && (mineFirst || o.outer == null) ? outer : o.outer);
    }

    /** Writes the record at {@code offset} (all {@link #SIZE} bytes). */
    public void write(MemorySegment dst, long offset) {
        dst.asSlice(offset, SIZE).fill((byte) 0);
        dst.set(JAVA_LONG_UNALIGNED, offset + PACKETS, packets);
        dst.set(JAVA_LONG_UNALIGNED, offset + BYTES, bytes);
        dst.set(JAVA_LONG_UNALIGNED, offset + FIRST_NS, firstSeenNanos);
        dst.set(JAVA_LONG_UNALIGNED, offset + LAST_NS, lastSeenNanos);
        dst.set(JAVA_INT_UNALIGNED, offset + MIN_LEN, minLength);
        dst.set(JAVA_INT_UNALIGNED, offset + MAX_LEN, maxLength);
        dst.set(JAVA_INT_UNALIGNED, offset + TCP_FLAGS, tcpFlags);
        dst.set(JAVA_BYTE, offset + DSCP, (byte) dscp);
        dst.set(JAVA_BYTE, offset + FRAGMENTS, (byte) (fragments ? 1 : 0));
        dst.set(JAVA_LONG_UNALIGNED, offset + IP_BYTES, ipBytes);
        if (outer != null) {
            MemorySegment.copy(FlowKey.address16(outer.source()), 0, dst, JAVA_BYTE, offset + OUTER_SRC, 16);
            MemorySegment.copy(FlowKey.address16(outer.destination()), 0, dst, JAVA_BYTE, offset + OUTER_DST, 16);
        }
    }
}
