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
 * CO-RE relocation records ({@code struct bpf_core_relo}) are kept per section with their
 * instruction index and access string, for the loader to apply against the target kernel's BTF.
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

    /**
     * One {@code struct bpf_core_relo}: the instruction (index within its ELF section) whose immediate, offset or
     * 64-bit constant depends on the type {@code typeId} of the object's BTF, reached through {@code access} (colon-
     * separated indices: "0:1:3"), and what about it ({@code kind}, enum bpf_core_relo_kind).
     */
    public record CoreRelo(int insn, int typeId, String access, int kind) {}

    private final Info funcInfo;
    private final Info lineInfo;
    private final Map<String, List<CoreRelo>> coreRelos;
    private final int coreReloCount;

    private BtfExt(Info funcInfo, Info lineInfo, Map<String, List<CoreRelo>> coreRelos, int coreReloCount) {
        this.funcInfo = funcInfo;
        this.lineInfo = lineInfo;
        this.coreRelos = coreRelos;
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
            Map<String, List<CoreRelo>> relos = new HashMap<>();
            if (hdrLen >= 32 && b.getInt(28) > 0) {
                int off = hdrLen + b.getInt(24), len = b.getInt(28), recSize = b.getInt(off);
                if (recSize < 16) throw new BtfException(".BTF.ext CO-RE record size " + recSize + " invalid");
                for (int p = off + 4; p < off + len; ) {
                    String sec = btf.string(b.getInt(p));
                    int n = b.getInt(p + 4);
                    checkCount(n, recSize, p + 8, off + len);
                    List<CoreRelo> list = relos.computeIfAbsent(sec, k -> new ArrayList<>());
                    for (int i = 0, q = p + 8; i < n; i++, q += recSize) {
                        list.add(new CoreRelo(b.getInt(q) / 8, b.getInt(q + 4), btf.string(b.getInt(q + 8)), b.getInt(q + 12)));
                    }
                    core += n;
                    p += 8 + n * recSize;
                }
            }
            return new BtfExt(fi, li, relos, core);
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

    /** CO-RE relocations present in the object. */
    public int coreRelocationCount() {
        return coreReloCount;
    }

    /** The CO-RE relocations of ELF section {@code section}, in file order (empty if none). */
    public List<CoreRelo> coreRelocations(String section) {
        return coreRelos.getOrDefault(section, List.of());
    }
}
