package io.packetlens.ops.dump;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.MapBatch;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * Entries of ops_test.bpf.c's {@code ops_hash}, written as the C layout has them: key {@code struct ops_key}
 * (addr u32 @0, port u16 @4, proto u8 @6, pad @7), value {@code struct ops_value} (packets @0, bytes @8,
 * ifname char[16] @16, state enum @32, delta s32 @36, ports u16[2] @40, flags:3 kind:5 @44, seen @45; 48 bytes).
 * Entry i is a pure function of i, so a test can say what each formatted entry must be.
 */
public final class OpsValues {
    public static final int KEY = 8, VALUE = 48;

    private OpsValues() {}

    public static int addr(int i) { return 0x0a000000 + i; }
    public static int port(int i) { return 1000 + i % 50000; }
    public static int proto(int i) { return i % 2 == 0 ? 6 : 17; }
    public static long packets(int i) { return i * 3L + 1; }
    public static long bytes(int i) { return (1L << 40) + i; }
    public static String ifname(int i) { return "eth" + i % 10; }
    public static int state(int i) { return 1 + i % 4; } // 4 is not an enumerator: printed as a number
    public static int delta(int i) { return -i; }
    public static int flags(int i) { return i % 8; }
    public static int kind(int i) { return i % 32; }
    public static boolean seen(int i) { return i % 3 == 0; }

    public static void key(MemorySegment s, long off, int i) {
        s.set(JAVA_INT_UNALIGNED, off, addr(i));
        s.set(JAVA_SHORT_UNALIGNED, off + 4, (short) port(i));
        s.set(JAVA_BYTE, off + 6, (byte) proto(i));
        s.set(JAVA_BYTE, off + 7, (byte) 0);
    }

    public static void value(MemorySegment s, long off, int i) {
        s.asSlice(off, VALUE).fill((byte) 0);
        s.set(JAVA_LONG_UNALIGNED, off, packets(i));
        s.set(JAVA_LONG_UNALIGNED, off + 8, bytes(i));
        byte[] n = ifname(i).getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(n, 0, s, JAVA_BYTE, off + 16, n.length);
        s.set(JAVA_INT_UNALIGNED, off + 32, state(i));
        s.set(JAVA_INT_UNALIGNED, off + 36, delta(i));
        s.set(JAVA_SHORT_UNALIGNED, off + 40, (short) port(i));
        s.set(JAVA_SHORT_UNALIGNED, off + 42, (short) (port(i) + 1));
        s.set(JAVA_BYTE, off + 44, (byte) (flags(i) | kind(i) << 3));
        s.set(JAVA_BYTE, off + 45, (byte) (seen(i) ? 1 : 0));
    }

    /** Writes entries 0..n-1 with batch updates. */
    public static void fill(BpfMap map, int n) {
        try (MapBatch b = map.batch(4096)) {
            for (int start = 0; start < n; start += 4096) {
                int count = Math.min(4096, n - start);
                for (int j = 0; j < count; j++) {
                    key(b.keys(), (long) j * KEY, start + j);
                    value(b.values(), (long) j * VALUE, start + j);
                }
                b.update(count);
            }
        }
    }
}
