package io.packetlens.ebpf.features;

import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfSanitizer;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Syscalls;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import java.util.TreeSet;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Which BTF kinds this kernel accepts in BPF_BTF_LOAD, probed once with the smallest BTF that uses each (as libbpf's
 * probe_kern_btf_* do): FUNC and global FUNCs, FLOAT (5.13), DECL_TAG (5.16), TYPE_TAG (5.17), ENUM64 (6.0). What is
 * missing is what {@link BtfSanitizer} rewrites.
 */
public final class BtfKinds {
    private static volatile Set<Integer> missing;

    private BtfKinds() {}

    /** The kinds (and {@link BtfSanitizer#FUNC_GLOBAL}) this kernel refuses. */
    public static Set<Integer> missing() {
        Set<Integer> m = missing;
        if (m == null) {
            m = new TreeSet<>();
            // strings: "\0int\0x\0tag\0f\0e\0a\0"
            String strings = "\0int\0x\0tag\0f\0e\0a\0";
            int sInt = 1, sX = 5, sTag = 7, sF = 11, sE = 13, sA = 15;
            int[] intT = {sInt, info(BtfKind.INT, 0), 4, 32};                       // [1] int
            if (!loads(strings, intT, new int[] {0, info(BtfKind.FUNC_PROTO, 0), 0}, new int[] {sF, info(BtfKind.FUNC, 0), 2})) {
                m.add(BtfKind.FUNC);
            } else if (!loads(strings, intT, new int[] {0, info(BtfKind.FUNC_PROTO, 0), 0}, new int[] {sF, info(BtfKind.FUNC, 1), 2})) {
                m.add(BtfSanitizer.FUNC_GLOBAL);
            }
            if (!loads(strings, intT, new int[] {sX, info(BtfKind.FLOAT, 0), 4})) m.add(BtfKind.FLOAT);
            if (!loads(strings, intT, new int[] {sX, info(BtfKind.VAR, 0), 1, 0}, new int[] {sTag, info(BtfKind.DECL_TAG, 0), 2, -1})) {
                m.add(BtfKind.DECL_TAG);
            }
            if (!loads(strings, intT, new int[] {sTag, info(BtfKind.TYPE_TAG, 0), 1}, new int[] {0, info(BtfKind.PTR, 0), 2})) {
                m.add(BtfKind.TYPE_TAG);
            }
            if (!loads(strings, new int[] {sE, info(BtfKind.ENUM64, 1), 8, sA, 0, 1})) m.add(BtfKind.ENUM64);
            missing = m = java.util.Collections.unmodifiableSet(m);
        }
        return m;
    }

    private static int info(int kind, int vlen) {
        return kind << 24 | vlen;
    }

    /** Whether the kernel takes a BTF of these types (each an array of 32-bit words) and strings. */
    private static boolean loads(String strings, int[]... types) {
        ByteArrayOutputStream t = new ByteArrayOutputStream();
        for (int[] type : types) for (int w : type) for (int i = 0; i < 4; i++) t.write(w >>> (8 * i));
        byte[] typeBytes = t.toByteArray(), str = strings.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(24 + typeBytes.length + str.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xeb9f).put((byte) 1).put((byte) 0).putInt(24).putInt(0).putInt(typeBytes.length)
                .putInt(typeBytes.length).putInt(str.length).put(typeBytes).put(str);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocateFrom(JAVA_BYTE, b.array());
            MemorySegment a = Bpf.attr();
            a.set(JAVA_LONG, BpfAttr.BtfLoad.BTF, data.address());
            a.set(JAVA_INT, BpfAttr.BtfLoad.BTF_SIZE, (int) data.byteSize());
            int r = Syscalls.bpf(BpfCmd.BTF_LOAD, a, BpfAttr.BtfLoad.SIZE);
            if (r >= 0) Syscalls.close(r);
            return r >= 0;
        }
    }
}
