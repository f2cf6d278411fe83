package io.packetlens.bench;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapBatch;
import io.packetlens.ebpf.UpdateFlag;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Synthetic map contents shaped like a flow table: 16-byte keys (IPv4 saddr, daddr, sport,
 * dport, protocol, padding, in network byte order) and 32-byte values (packets, bytes,
 * first and last seen ns). Entry {@code i} is a pure function of {@code i}, so a reader
 * can check what it got: the packets field of entry i is {@code i + 1}, hence the packets
 * of a complete dump sum to n(n+1)/2. Larger keys and values are zero-padded; smaller
 * keys carry only the index.
 */
final class FlowEntries {
    static final int MIN_KEY_SIZE = 4;
    static final int MIN_VALUE_SIZE = 8;
    private static final int FLOW_KEY_SIZE = 16;
    private static final int FLOW_VALUE_SIZE = 32;
    private static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long T0_NS = 1_700_000_000_000_000_000L;

    private FlowEntries() {}

    /** Writes key {@code i} at {@code at} (keySize bytes, distinct for every i below 2^32). */
    static void writeKey(MemorySegment keys, long at, int keySize, long i) {
        keys.asSlice(at, keySize).fill((byte) 0);
        if (keySize >= FLOW_KEY_SIZE) {
            keys.set(NET_INT, at, 0x0a00_0000 | (int) (i & 0xff_ffff));      // saddr 10.x.y.z: unique per entry
            keys.set(NET_INT, at + 4, 0xc0a8_0000 | (int) (i % 251));         // daddr 192.168.0.(i % 251)
            keys.set(NET_SHORT, at + 8, (short) (1024 + i % 60_000));          // sport
            keys.set(NET_SHORT, at + 10, (short) 443);                         // dport
            keys.set(JAVA_BYTE, at + 12, (byte) 6);                            // TCP
            keys.set(JAVA_BYTE, at + 13, (byte) (i >>> 24));                   // beyond 2^24 entries
        } else if (keySize >= 8) {
            keys.set(JAVA_LONG_UNALIGNED, at, i);
        } else {
            keys.set(ValueLayout.JAVA_INT_UNALIGNED, at, (int) i);
        }
    }

    /** Writes value {@code i} at {@code at}: packets = i + 1 first, then bytes and timestamps if room. */
    static void writeValue(MemorySegment values, long at, int valueSize, long i) {
        values.asSlice(at, valueSize).fill((byte) 0);
        values.set(JAVA_LONG_UNALIGNED, at, i + 1);
        if (valueSize >= FLOW_VALUE_SIZE) {
            values.set(JAVA_LONG_UNALIGNED, at + 8, (i + 1) * 1_200);
            values.set(JAVA_LONG_UNALIGNED, at + 16, T0_NS + i);
            values.set(JAVA_LONG_UNALIGNED, at + 24, T0_NS + i + 1_000_000);
        }
    }

    /** The packets field of a value read back. */
    static long packets(MemorySegment values, long at) {
        return values.get(JAVA_LONG_UNALIGNED, at);
    }

    /** Sum of the packets fields of a complete dump of {@code n} entries. */
    static long expectedPacketSum(long n) {
        return n * (n + 1) / 2;
    }

    /** Fills the map with entries 0..n-1 through BPF_MAP_UPDATE_BATCH; returns how many were written. */
    static long fill(BpfMap map, long n, int batchSize) {
        long written = 0;
        try (MapBatch batch = map.batch(batchSize)) {
            int ks = batch.keySize(), vs = batch.valueStride();
            while (written < n) {
                int count = (int) Math.min(batchSize, n - written);
                for (int j = 0; j < count; j++) {
                    writeKey(batch.keys(), (long) j * ks, ks, written + j);
                    writeValue(batch.values(), (long) j * vs, map.valueSize(), written + j);
                }
                // BPF_MAP_UPDATE_BATCH accepts no elem_flags but BPF_F_LOCK, so NOEXIST cannot guard
                // against duplicate keys here; the dumps' entry counts would show any.
                int done = batch.update(count, UpdateFlag.ANY);
                if (done != count) throw new IllegalStateException("batch update wrote " + done + " of " + count);
                written += done;
            }
        }
        return written;
    }
}
