package io.packetlens.ebpf.features;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.MapSpec;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.asm.Insn;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
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
 * program type, tcx? Each answer comes from trying the smallest possible object and is cached
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

    /**
     * Whether the kernel loads programs of {@code type}. Types that need a BTF target to load at all
     * (TRACING, LSM, EXT, STRUCT_OPS) are reported false.
     */
    public static boolean hasProgramType(ProgramType type) {
        return PROGRAMS.computeIfAbsent(type, t -> {
            int r = load(t, Insn.program(Insn.movImm(0, 0), Insn.exit()), MemorySegment.NULL);
            if (r >= 0) {
                Syscalls.close(r);
                return true;
            }
            if (lacksPrivilege(r)) throw BpfException.of("probe program type " + t, -r);
            return false;
        });
    }

    /**
     * Whether the kernel creates maps of {@code type}. Types that need BTF to create (the local storages
     * SK/INODE/TASK/CGRP_STORAGE, STRUCT_OPS) are reported false.
     */
    public static boolean hasMapType(MapType type) {
        return MAPS.computeIfAbsent(type, t -> {
            int key = 4, value = 4, max = 1, flags = 0;
            boolean inner = false;
            switch (t) {
                case RINGBUF, USER_RINGBUF -> { key = 0; value = 0; max = 4096; }
                case LPM_TRIE -> { key = 8; flags = 1; }
                case QUEUE, STACK, BLOOM_FILTER -> key = 0;
                case STACK_TRACE -> value = 8; // an array of u64 instruction pointers
                case CGROUP_STORAGE, PERCPU_CGROUP_STORAGE -> { key = CGROUP_STORAGE_KEY_SIZE; value = 8; max = 0; }
                case ARENA -> { key = 0; value = 0; flags = MapSpec.F_MMAPABLE; } // max_entries counts pages
                case ARRAY_OF_MAPS, HASH_OF_MAPS -> inner = true;
                case SK_STORAGE, INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE, STRUCT_OPS, UNSPEC -> {
                    return probeUnsupportedShape(t);
                }
                default -> { }
            }
            int innerFd = inner ? createArray() : -1;
            try {
                return probeMap(t, key, value, max, flags, innerFd);
            } finally {
                if (innerFd >= 0) Syscalls.close(innerFd);
            }
        });
    }

    /** sizeof(struct bpf_cgroup_storage_key): a u64 cgroup inode id and a u32 attach type, padded. */
    private static final int CGROUP_STORAGE_KEY_SIZE = 16;

    /** The smallest array map, as the inner map template of a map-in-map probe. */
    private static int createArray() {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.MapCreate.MAP_TYPE, MapType.ARRAY.value());
        a.set(JAVA_INT, BpfAttr.MapCreate.KEY_SIZE, 4);
        a.set(JAVA_INT, BpfAttr.MapCreate.VALUE_SIZE, 4);
        a.set(JAVA_INT, BpfAttr.MapCreate.MAX_ENTRIES, 1);
        int r = Syscalls.bpf(BpfCmd.MAP_CREATE, a, BpfAttr.MapCreate.SIZE);
        if (r < 0) throw BpfException.of("create inner map for a map-in-map probe", -r);
        return r;
    }

    private static boolean probeMap(MapType t, int key, int value, int max, int flags, int innerFd) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.MapCreate.MAP_TYPE, t.value());
        a.set(JAVA_INT, BpfAttr.MapCreate.KEY_SIZE, key);
        a.set(JAVA_INT, BpfAttr.MapCreate.VALUE_SIZE, value);
        a.set(JAVA_INT, BpfAttr.MapCreate.MAX_ENTRIES, max);
        a.set(JAVA_INT, BpfAttr.MapCreate.MAP_FLAGS, flags);
        if (innerFd >= 0) a.set(JAVA_INT, BpfAttr.MapCreate.INNER_MAP_FD, innerFd);
        int r = Syscalls.bpf(BpfCmd.MAP_CREATE, a, BpfAttr.MapCreate.SIZE);
        if (r >= 0) {
            Syscalls.close(r);
            return true;
        }
        if (lacksPrivilege(r)) throw BpfException.of("probe map type " + t, -r);
        return false;
    }

    /** Types whose creation needs BTF (local storage, struct_ops): answers true only if a bare create succeeds, so usually false. */
    private static boolean probeUnsupportedShape(MapType t) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.MapCreate.MAP_TYPE, t.value());
        int r = Syscalls.bpf(BpfCmd.MAP_CREATE, a, BpfAttr.MapCreate.SIZE);
        if (r >= 0) Syscalls.close(r);
        if (lacksPrivilege(r)) throw BpfException.of("probe map type " + t, -r);
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
                if (lacksPrivilege(r)) throw BpfException.of("probe helper " + helperId, -r);
                String text = log.getString(0, StandardCharsets.UTF_8);
                // The verifier names unknown or forbidden helpers this way; any other complaint (argument types) means it exists.
                return !(text.contains("invalid func") || text.contains("unknown func") || text.contains("program of this type cannot use helper"));
            }
        });
    }

    private static volatile Boolean tcx;

    /**
     * Whether the kernel has tcx, the BPF-link based TC hooks (BPF_TCX_INGRESS / BPF_TCX_EGRESS,
     * kernel 6.6+). Asked without attaching anything: BPF_PROG_QUERY of the loopback interface's
     * tcx ingress hook answers on kernels with tcx and fails with EINVAL (unknown attach type) before.
     */
    public static boolean hasTcx() {
        Boolean t = tcx;
        if (t == null) {
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.Query.TARGET_IFINDEX, LOOPBACK_IFINDEX);
            a.set(JAVA_INT, BpfAttr.Query.ATTACH_TYPE, AttachType.TCX_INGRESS.value());
            int r = Syscalls.bpf(BpfCmd.PROG_QUERY, a, BpfAttr.Query.SIZE);
            if (lacksPrivilege(r)) throw BpfException.of("probe tcx", -r);
            tcx = t = r >= 0;
        }
        return t;
    }

    private static volatile Boolean afXdp;

    /** Whether the kernel has AF_XDP sockets (CONFIG_XDP_SOCKETS): socket(AF_XDP) answers, and is closed again. */
    public static boolean hasAfXdp() {
        Boolean t = afXdp;
        if (t == null) {
            int fd = io.packetlens.ebpf.sys.XskSyscalls.socket(AF_XDP, SOCK_RAW, 0);
            if (fd >= 0) Syscalls.close(fd);
            if (fd == -Errno.EPERM || fd == -Errno.EACCES) throw BpfException.of("probe AF_XDP sockets", -fd);
            afXdp = t = fd >= 0;
        }
        return t;
    }

    private static final int AF_XDP = 44, SOCK_RAW = 3;

    /**
     * Whether kprobes can be used: the kernel registers the {@code kprobe} perf PMU (/sys/bus/event_source/devices/kprobe)
     * only when built with CONFIG_KPROBE_EVENTS. (The KPROBE program type loads regardless; attaching it needs this.)
     */
    public static boolean hasKprobes() {
        return java.nio.file.Files.isDirectory(java.nio.file.Path.of("/sys/bus/event_source/devices/kprobe"));
    }

    /**
     * Whether BPF memory is charged to the memory cgroup instead of RLIMIT_MEMLOCK (Linux 5.11+). Asked the way
     * libbpf does: the bpf_ktime_get_coarse_ns helper arrived in the same release, so a program calling it loads
     * exactly where memcg accounting exists.
     */
    public static boolean hasMemcgAccounting() {
        return hasHelper(ProgramType.SOCKET_FILTER, HELPER_KTIME_GET_COARSE_NS);
    }

    /** bpf_ktime_get_coarse_ns of {@code enum bpf_func_id}. */
    public static final int HELPER_KTIME_GET_COARSE_NS = 160;

    /** Loopback is interface 1 in every network namespace. */
    private static final int LOOPBACK_IFINDEX = 1;

    /** BPF_F_SLEEPABLE of BPF_PROG_LOAD's prog_flags. */
    private static final int F_SLEEPABLE = 1 << 4;

    /** BPF_CGROUP_GETSOCKOPT of enum bpf_attach_type. */
    private static final int ATTACH_CGROUP_GETSOCKOPT = 21;

    /** Types the kernel loads only with a matching expected attach type (the same choices as libbpf's probes). */
    private static int probeAttachType(ProgramType type) {
        return switch (type) {
            case CGROUP_SOCK_ADDR -> AttachType.CGROUP_INET4_CONNECT.value();
            case CGROUP_SOCKOPT -> ATTACH_CGROUP_GETSOCKOPT;
            case SK_LOOKUP -> AttachType.SK_LOOKUP.value();
            case NETFILTER -> AttachType.NETFILTER.value();
            default -> 0;
        };
    }

    /**
     * EPERM from a probe means "no privilege" only when the process lacks the capabilities for every
     * probe (CAP_SYS_ADMIN, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON); with them, the kernel also answers
     * EPERM for some types it will not load this way (e.g. EXT without a target program).
     */
    private static boolean lacksPrivilege(int r) {
        return r == -Errno.EPERM && !privileged();
    }

    private static volatile Boolean privileged;

    private static boolean privileged() {
        Boolean p = privileged;
        if (p == null) {
            p = false;
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                    if (line.startsWith("CapEff:")) {
                        long caps = Long.parseUnsignedLong(line.substring(7).strip(), 16);
                        long split = 1L << CAP_BPF | 1L << CAP_NET_ADMIN | 1L << CAP_PERFMON;
                        p = (caps & 1L << CAP_SYS_ADMIN) != 0 || (caps & split) == split;
                    }
                }
            } catch (java.io.IOException | NumberFormatException e) {
                p = false;
            }
            privileged = p;
        }
        return p;
    }

    private static final int CAP_NET_ADMIN = 12, CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39;

    private static int load(ProgramType type, byte[] insns, MemorySegment log) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocateFrom(JAVA_BYTE, insns);
            MemorySegment license = arena.allocateFrom("GPL");
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.ProgLoad.PROG_TYPE, type.value());
            a.set(JAVA_INT, BpfAttr.ProgLoad.INSN_CNT, insns.length / Insn.SIZE);
            a.set(JAVA_LONG, BpfAttr.ProgLoad.INSNS, code.address());
            a.set(JAVA_LONG, BpfAttr.ProgLoad.LICENSE, license.address());
            a.set(JAVA_INT, BpfAttr.ProgLoad.EXPECTED_ATTACH_TYPE, probeAttachType(type));
            if (type == ProgramType.SYSCALL) a.set(JAVA_INT, BpfAttr.ProgLoad.PROG_FLAGS, F_SLEEPABLE); // the kernel insists
            if (!log.equals(MemorySegment.NULL)) {
                a.set(JAVA_INT, BpfAttr.ProgLoad.LOG_LEVEL, 1);
                a.set(JAVA_INT, BpfAttr.ProgLoad.LOG_SIZE, (int) log.byteSize());
                a.set(JAVA_LONG, BpfAttr.ProgLoad.LOG_BUF, log.address());
            }
            return Syscalls.bpf(BpfCmd.PROG_LOAD, a, BpfAttr.ProgLoad.SIZE);
        }
    }
}
