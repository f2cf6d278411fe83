package io.packetlens.ebpf.btf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code .BTF.ext} section: per ELF section, the func_info records (which BTF FUNC
 * each function is) and line_info records (which source line each instruction came
 * from). Offsets in the file are in bytes within the section; the records here keep the
 * raw bytes with the offset converted to an instruction index, as BPF_PROG_LOAD wants.
 * CO-RE relocation records are counted but not applied.
 */
public final class BtfExt {
    /** One record: the instruction index within its ELF section and the record's raw bytes (offset word included). */
    public record Record(int insn, byte[] raw) {}

    /** Records of one kind for every section, keyed by section name. */
    public record Info(int recordSize, Map<String, List<Record>> bySection) {
        static Info empty(int recSize) {
            return new Info(recSize, Map.of());
        }
    }

    private final Info funcInfo;
    private final Info lineInfo;
    private final int coreReloCount;

    private BtfExt(Info funcInfo, Info lineInfo, int coreReloCount) {
        this.funcInfo = funcInfo;
        this.lineInfo = lineInfo;
        this.coreReloCount = coreReloCount;
    }

    public static BtfExt parse(byte[] data, Btf btf) {
        try {
            ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            if (Short.toUnsignedInt(b.getShort(0)) != Btf.MAGIC) throw new BtfException("bad .BTF.ext magic");
            int hdrLen = b.getInt(4);
            Info fi = section(b, btf, hdrLen + b.getInt(8), b.getInt(12), 8);
            Info li = section(b, btf, hdrLen + b.getInt(16), b.getInt(20), 16);
            int core = 0;
            if (hdrLen >= 32 && b.getInt(28) > 0) {
                int off = hdrLen + b.getInt(24), len = b.getInt(28), recSize = b.getInt(off);
                if (recSize <= 0) throw new BtfException(".BTF.ext CO-RE record size " + recSize + " invalid");
                for (int p = off + 4; p < off + len; ) {
                    int n = b.getInt(p + 4);
                    checkCount(n, recSize, p + 8, off + len);
                    core += n;
                    p += 8 + n * recSize;
                }
            }
            return new BtfExt(fi, li, core);
        } catch (IndexOutOfBoundsException e) {
            throw new BtfException("corrupt .BTF.ext: " + e.getMessage());
        }
    }

    private static Info section(ByteBuffer b, Btf btf, int off, int len, int minRec) {
        if (len == 0) return Info.empty(minRec);
        int recSize = b.getInt(off);
        if (recSize < minRec) throw new BtfException(".BTF.ext record size " + recSize + " too small");
        Map<String, List<Record>> out = new HashMap<>();
        int p = off + 4, end = off + len;
        while (p < end) {
            String sec = btf.string(b.getInt(p));
            int n = b.getInt(p + 4);
            p += 8;
            checkCount(n, recSize, p, end);
            List<Record> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++, p += recSize) {
                byte[] raw = new byte[recSize];
                b.get(p, raw);
                int byteOff = b.getInt(p);
                list.add(new Record(byteOff / 8, raw));
            }
            out.put(sec, list);
        }
        return new Info(recSize, out);
    }

    /** A corrupt record count must not become a huge allocation or a loop that never ends. */
    private static void checkCount(int n, int recSize, int from, int end) {
        if (n < 0 || (long) n * recSize > (long) end - from) {
            throw new BtfException("corrupt .BTF.ext: " + n + " records of " + recSize + " bytes do not fit in the section");
        }
    }

    public Info funcInfo() {
        return funcInfo;
    }

    public Info lineInfo() {
        return lineInfo;
    }

    /** CO-RE relocations present in the object (not applied by this loader). */
    public int coreRelocationCount() {
        return coreReloCount;
    }
}
