package io.packetlens.ebpf.features;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.asm.Insn;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Errno;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Feature probes: does this kernel support a program type, a map type, a helper for a
 * program type? Each answer comes from trying the smallest possible object and is cached
 * for the life of the process. A probe that fails for lack of privilege throws instead of
 * answering "no".
 */
public final class Features {
    private static final Map<ProgramType, Boolean> PROGRAMS = new ConcurrentHashMap<>();
    private static final Map<MapType, Boolean> MAPS = new ConcurrentHashMap<>();
    private static final Map<Long, Boolean> HELPERS = new ConcurrentHashMap<>();

    /** Helper ids ({@code enum bpf_func_id}) that packetlens probes for. */
    public static final int HELPER_MAP_LOOKUP_ELEM = 1, HELPER_KTIME_GET_NS = 5, HELPER_PERF_EVENT_OUTPUT = 25,
            HELPER_XDP_ADJUST_HEAD = 44, HELPER_RINGBUF_OUTPUT = 130, HELPER_RINGBUF_RESERVE = 131,
            HELPER_KTIME_GET_BOOT_NS = 125, HELPER_LOOP = 181;

    private Features() {}

    public static boolean hasProgramType(ProgramType type) {
        return PROGRAMS.computeIfAbsent(type, t -> {
            int r = load(t, Insn.program(Insn.movImm(0, 0), Insn.exit()), MemorySegment.NULL);
            if (r >= 0) {
                Syscalls.close(r);
                return true;
            }
            if (r == -Errno.EPERM) throw BpfException.of("probe program type " + t, -r);
            return false;
        });
    }

    public static boolean hasMapType(MapType type) {
        return MAPS.computeIfAbsent(type, t -> {
            int key = 4, value = 4, max = 1, flags = 0;
            switch (t) {
                case RINGBUF -> { key = 0; value = 0; max = 4096; }
                case LPM_TRIE -> { key = 8; flags = 1; }
                case QUEUE, STACK, BLOOM_FILTER -> key = 0;
                case SK_STORAGE, INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE, ARRAY_OF_MAPS, HASH_OF_MAPS, STRUCT_OPS,
                     CGROUP_STORAGE, PERCPU_CGROUP_STORAGE, USER_RINGBUF, ARENA, UNSPEC -> {
                    return probeUnsupportedShape(t);
                }
                default -> { }
            }
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.MapCreate.MAP_TYPE, t.value());
            a.set(JAVA_INT, BpfAttr.MapCreate.KEY_SIZE, key);
            a.set(JAVA_INT, BpfAttr.MapCreate.VALUE_SIZE, value);
            a.set(JAVA_INT, BpfAttr.MapCreate.MAX_ENTRIES, max);
            a.set(JAVA_INT, BpfAttr.MapCreate.MAP_FLAGS, flags);
            int r = Syscalls.bpf(BpfCmd.MAP_CREATE, a, BpfAttr.MapCreate.SIZE);
            if (r >= 0) {
                Syscalls.close(r);
                return true;
            }
            if (r == -Errno.EPERM) throw BpfException.of("probe map type " + t, -r);
            return false;
        });
    }

    /** Types whose creation needs BTF or inner maps: the type is known to the kernel if it rejects other fields than the type. */
    private static boolean probeUnsupportedShape(MapType t) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.MapCreate.MAP_TYPE, t.value());
        int r = Syscalls.bpf(BpfCmd.MAP_CREATE, a, BpfAttr.MapCreate.SIZE);
        if (r >= 0) Syscalls.close(r);
        if (r == -Errno.EPERM) throw BpfException.of("probe map type " + t, -r);
        // An unknown type fails with EINVAL before anything else is checked; known types fail later, also with
        // EINVAL, so this is a best effort: report true only for a successful create.
        return r >= 0;
    }

    /** Whether programs of {@code type} may call helper {@code helperId} on this kernel. */
    public static boolean hasHelper(ProgramType type, int helperId) {
        long key = ((long) type.value() << 32) | helperId;
        return HELPERS.computeIfAbsent(key, k -> {
            if (!hasProgramType(type)) return false;
            byte[] prog = Insn.program(Insn.call(helperId), Insn.movImm(0, 0), Insn.exit());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment log = arena.allocate(64 * 1024);
                int r = load(type, prog, log);
                if (r >= 0) {
                    Syscalls.close(r);
                    return true;
                }
                if (r == -Errno.EPERM) throw BpfException.of("probe helper " + helperId, -r);
                String text = log.getString(0, StandardCharsets.UTF_8);
                // The verifier names unknown or forbidden helpers this way; any other complaint (argument types) means it exists.
                return !(text.contains("invalid func") || text.contains("unknown func") || text.contains("program of this type cannot use helper"));
            }
        });
    }

    private static int load(ProgramType type, byte[] insns, MemorySegment log) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocateFrom(JAVA_BYTE, insns);
            MemorySegment license = arena.allocateFrom("GPL");
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.ProgLoad.PROG_TYPE, type.value());
            a.set(JAVA_INT, BpfAttr.ProgLoad.INSN_CNT, insns.length / Insn.SIZE);
            a.set(JAVA_LONG, BpfAttr.ProgLoad.INSNS, code.address());
            a.set(JAVA_LONG, BpfAttr.ProgLoad.LICENSE, license.address());
            if (!log.equals(MemorySegment.NULL)) {
                a.set(JAVA_INT, BpfAttr.ProgLoad.LOG_LEVEL, 1);
                a.set(JAVA_INT, BpfAttr.ProgLoad.LOG_SIZE, (int) log.byteSize());
                a.set(JAVA_LONG, BpfAttr.ProgLoad.LOG_BUF, log.address());
            }
            return Syscalls.bpf(BpfCmd.PROG_LOAD, a, BpfAttr.ProgLoad.SIZE);
        }
    }
}
