package io.packetlens.ebpf.info;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A program as the kernel describes it: {@code struct bpf_prog_info} of linux/bpf.h, read with one
 * BPF_OBJ_GET_INFO_BY_FD (the map-id array rides along in a buffer big enough for 64 maps; a program using more
 * costs a second call). {@code runTimeNs} and {@code runCount} only grow while statistics are on ({@link BpfStats}).
 *
 * @param type            the kernel's {@code enum bpf_prog_type} number ({@link #programType()} names it)
 * @param tag             the hash of the program's instructions, as hex (bpftool's {@code tag})
 * @param loadTimeNs      when it was loaded, on the boot clock ({@link #loadedAt()} converts)
 * @param ifindex         the device of a program offloaded to hardware, else 0
 * @param netnsDev        with netnsIno, the network namespace of an offloaded program's device
 * @param jitedLength     bytes of JIT-compiled code (0 if the program runs in the interpreter)
 * @param xlatedLength    bytes of the program as the verifier rewrote it
 * @param btfId           the id of the BTF object with its function and line info, 0 if none
 * @param recursionMisses runs skipped because the program was already running on that CPU
 */
public record ProgramInfo(int id, int type, String name, String tag, long loadTimeNs, int createdByUid, List<Integer> mapIds,
                          int ifindex, boolean gplCompatible, long netnsDev, long netnsIno, int jitedLength, int xlatedLength,
                          int btfId, long runTimeNs, long runCount, long recursionMisses, int verifiedInsns,
                          int attachBtfObjId, int attachBtfId) {
    private static final int MAP_IDS_FIRST_TRY = 64;

    public ProgramInfo {
        mapIds = List.copyOf(mapIds);
    }

    /** Reads the info of the program behind {@code fd}. */
    public static ProgramInfo ofFd(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int capacity = MAP_IDS_FIRST_TRY;
            while (true) {
                MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
                MemorySegment ids = arena.allocate(4L * capacity, 4);
                info.set(JAVA_INT, BpfAttr.ProgInfo.NR_MAP_IDS, capacity);
                info.set(JAVA_LONG, BpfAttr.ProgInfo.MAP_IDS, ids.address());
                int r = Bpf.tryInfo(fd, info);
                if (r < 0) throw BpfException.of(BpfCmd.name(BpfCmd.OBJ_GET_INFO_BY_FD) + " (program info)", -r);
                int nMaps = info.get(JAVA_INT, BpfAttr.ProgInfo.NR_MAP_IDS);
                if (nMaps > capacity) {
                    capacity = nMaps; // maps were added meanwhile or there are many: ask again with room for all
                    continue;
                }
                Integer[] m = new Integer[nMaps];
                for (int i = 0; i < nMaps; i++) m[i] = ids.getAtIndex(JAVA_INT, i);
                return new ProgramInfo(info.get(JAVA_INT, BpfAttr.ProgInfo.ID), info.get(JAVA_INT, BpfAttr.ProgInfo.TYPE),
                        Names.cString(info, BpfAttr.ProgInfo.NAME, 16),
                        HexFormat.of().formatHex(info.asSlice(BpfAttr.ProgInfo.TAG, BpfAttr.ProgInfo.TAG_SIZE).toArray(JAVA_BYTE)),
                        info.get(JAVA_LONG, BpfAttr.ProgInfo.LOAD_TIME), info.get(JAVA_INT, BpfAttr.ProgInfo.CREATED_BY_UID),
                        List.of(m), info.get(JAVA_INT, BpfAttr.ProgInfo.IFINDEX),
                        (info.get(JAVA_INT, BpfAttr.ProgInfo.GPL_COMPATIBLE) & BpfAttr.ProgInfo.GPL_COMPATIBLE_BIT) != 0,
                        info.get(JAVA_LONG, BpfAttr.ProgInfo.NETNS_DEV), info.get(JAVA_LONG, BpfAttr.ProgInfo.NETNS_INO),
                        info.get(JAVA_INT, BpfAttr.ProgInfo.JITED_PROG_LEN), info.get(JAVA_INT, BpfAttr.ProgInfo.XLATED_PROG_LEN),
                        info.get(JAVA_INT, BpfAttr.ProgInfo.BTF_ID), info.get(JAVA_LONG, BpfAttr.ProgInfo.RUN_TIME_NS),
                        info.get(JAVA_LONG, BpfAttr.ProgInfo.RUN_CNT), info.get(JAVA_LONG, BpfAttr.ProgInfo.RECURSION_MISSES),
                        info.get(JAVA_INT, BpfAttr.ProgInfo.VERIFIED_INSNS), info.get(JAVA_INT, BpfAttr.ProgInfo.ATTACH_BTF_OBJ_ID),
                        info.get(JAVA_INT, BpfAttr.ProgInfo.ATTACH_BTF_ID));
            }
        }
    }

    /**
     * The program behind {@code fd} as the verifier left it ({@code xlated_prog_insns}, 8 bytes an instruction, what
     * {@code bpftool prog dump xlated} shows): dead branches removed, helper calls rewritten to the helper's address
     * relative to {@code __bpf_call_base} ({@link HelperCalls} names them; without CAP_SYS_ADMIN the kernel zeroes them).
     */
    public static byte[] xlatedInstructions(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            while (true) {
                MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
                int r = Bpf.tryInfo(fd, info);
                if (r < 0) throw BpfException.of(BpfCmd.name(BpfCmd.OBJ_GET_INFO_BY_FD) + " (program info)", -r);
                int len = info.get(JAVA_INT, BpfAttr.ProgInfo.XLATED_PROG_LEN);
                if (len == 0) return new byte[0];
                MemorySegment insns = arena.allocate(len, 8);
                info.fill((byte) 0);
                info.set(JAVA_INT, BpfAttr.ProgInfo.XLATED_PROG_LEN, len);
                info.set(JAVA_LONG, BpfAttr.ProgInfo.XLATED_PROG_INSNS, insns.address());
                r = Bpf.tryInfo(fd, info);
                if (r < 0) throw BpfException.of(BpfCmd.name(BpfCmd.OBJ_GET_INFO_BY_FD) + " (xlated instructions)", -r);
                // the kernel writes min(len, its length) and reports its own length: equal unless it changed meanwhile
                if (info.get(JAVA_INT, BpfAttr.ProgInfo.XLATED_PROG_LEN) == len) return insns.toArray(JAVA_BYTE);
            }
        }
    }

    /** The program type, if this library knows its number. */
    public Optional<ProgramType> programType() {
        return ProgramType.find(type);
    }

    /** The type as bpftool names it ({@code xdp}, {@code sched_cls}, ...). */
    public String typeName() {
        return ProgramType.nameOf(type);
    }

    /** When it was loaded, on the wall clock. */
    public Instant loadedAt() {
        return BootClock.toInstant(loadTimeNs);
    }

    /** Whether the program was JIT-compiled. */
    public boolean jited() {
        return jitedLength > 0;
    }

    /** Average nanoseconds per run since statistics were first on, or 0 if it never ran with them on. */
    public double averageRunNs() {
        return runCount == 0 ? 0 : (double) runTimeNs / runCount;
    }
}
