package io.packetlens.ebpf.sys;

/**
 * Byte offsets into {@code union bpf_attr} (linux/bpf.h), one nested class per command
 * variant, and the size passed to bpf(2) for each. Declared once here; every command is
 * built from these. The kernel requires all bytes past the fields it knows to be zero,
 * so attrs are zero-filled before use.
 */
public final class BpfAttr {
    /** Large enough for every variant used (sizeof(union bpf_attr) is 144 on 6.x kernels). */
    public static final int MAX_SIZE = 160;

    private BpfAttr() {}

    /** BPF_MAP_CREATE. */
    public static final class MapCreate {
        public static final int MAP_TYPE = 0, KEY_SIZE = 4, VALUE_SIZE = 8, MAX_ENTRIES = 12, MAP_FLAGS = 16,
                INNER_MAP_FD = 20, NUMA_NODE = 24, MAP_NAME = 28, MAP_IFINDEX = 44, BTF_FD = 48,
                BTF_KEY_TYPE_ID = 52, BTF_VALUE_TYPE_ID = 56, BTF_VMLINUX_VALUE_TYPE_ID = 60, MAP_EXTRA = 64;
        public static final int SIZE = 72;
        private MapCreate() {}
    }

    /** BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY. */
    public static final class Elem {
        public static final int MAP_FD = 0, KEY = 8, VALUE = 16, NEXT_KEY = 16, FLAGS = 24;
        public static final int SIZE = 32;
        private Elem() {}
    }

    /** BPF_MAP_*_BATCH. */
    public static final class Batch {
        public static final int IN_BATCH = 0, OUT_BATCH = 8, KEYS = 16, VALUES = 24, COUNT = 32, MAP_FD = 36,
                ELEM_FLAGS = 40, FLAGS = 48;
        public static final int SIZE = 56;
        private Batch() {}
    }

    /** BPF_PROG_LOAD. */
    public static final class ProgLoad {
        public static final int PROG_TYPE = 0, INSN_CNT = 4, INSNS = 8, LICENSE = 16, LOG_LEVEL = 24, LOG_SIZE = 28,
                LOG_BUF = 32, KERN_VERSION = 40, PROG_FLAGS = 44, PROG_NAME = 48, PROG_IFINDEX = 64,
                EXPECTED_ATTACH_TYPE = 68, PROG_BTF_FD = 72, FUNC_INFO_REC_SIZE = 76, FUNC_INFO = 80,
                FUNC_INFO_CNT = 88, LINE_INFO_REC_SIZE = 92, LINE_INFO = 96, LINE_INFO_CNT = 104,
                ATTACH_BTF_ID = 108, ATTACH_PROG_FD = 112, CORE_RELO_CNT = 116, FD_ARRAY = 120;
        public static final int SIZE = 128;
        private ProgLoad() {}
    }

    /** BPF_OBJ_PIN and BPF_OBJ_GET. */
    public static final class Obj {
        public static final int PATHNAME = 0, BPF_FD = 8, FILE_FLAGS = 12;
        public static final int SIZE = 16;
        private Obj() {}
    }

    /** BPF_PROG_TEST_RUN. */
    public static final class TestRun {
        public static final int PROG_FD = 0, RETVAL = 4, DATA_SIZE_IN = 8, DATA_SIZE_OUT = 12, DATA_IN = 16,
                DATA_OUT = 24, REPEAT = 32, DURATION = 36, CTX_SIZE_IN = 40, CTX_SIZE_OUT = 44, CTX_IN = 48,
                CTX_OUT = 56, FLAGS = 64, CPU = 68, BATCH_SIZE = 72;
        public static final int SIZE = 80;
        private TestRun() {}
    }

    /** BPF_BTF_LOAD. */
    public static final class BtfLoad {
        public static final int BTF = 0, LOG_BUF = 8, BTF_SIZE = 16, LOG_SIZE = 20, LOG_LEVEL = 24;
        public static final int SIZE = 28;
        private BtfLoad() {}
    }

    /** BPF_OBJ_GET_INFO_BY_FD. */
    public static final class Info {
        public static final int BPF_FD = 0, INFO_LEN = 4, INFO = 8;
        public static final int SIZE = 16;
        private Info() {}
    }

    /** BPF_LINK_CREATE (generic part; the per-type union starts at TARGET_UNION). */
    public static final class LinkCreate {
        public static final int PROG_FD = 0, TARGET_FD = 4, TARGET_IFINDEX = 4, ATTACH_TYPE = 8, FLAGS = 12,
                TARGET_UNION = 16;
        /** tcx (and cgroup mprog): relative_fd or relative_id, then expected_revision. */
        public static final int RELATIVE_FD = 16, RELATIVE_ID = 16, EXPECTED_REVISION = 24;
        /** perf_event: the cookie bpf_get_attach_cookie() returns. */
        public static final int PERF_EVENT_BPF_COOKIE = 16;
        /** iterators: a pointer to union bpf_iter_link_info (map_fd, cgroup, task) and its length. */
        public static final int ITER_INFO = 16, ITER_INFO_LEN = 24;
        public static final int SIZE = 48;
        private LinkCreate() {}
    }

    /** BPF_LINK_UPDATE: put another program behind an existing link. */
    public static final class LinkUpdate {
        public static final int LINK_FD = 0, NEW_PROG_FD = 4, FLAGS = 8, OLD_PROG_FD = 12;
        public static final int SIZE = 16;
        /** BPF_F_REPLACE: only if old_prog_fd is still the program behind the link. */
        public static final int F_REPLACE = 1 << 2;
        private LinkUpdate() {}
    }

    /** BPF_MAP_FREEZE and BPF_LINK_DETACH (a single fd). */
    /** BPF_ITER_CREATE: an iterator link in, a readable fd out. */
    public static final class IterCreate {
        public static final int LINK_FD = 0, FLAGS = 4, SIZE = 8;
        private IterCreate() {}
    }

    public static final class SingleFd {
        public static final int FD = 0;
        public static final int SIZE = 4;
        private SingleFd() {}
    }

    /**
     * struct bpf_map_info (OBJ_GET_INFO_BY_FD on a map), 6.18's layout. A kernel that knows fewer fields
     * copies fewer back (info_len says how many); one that knows more leaves the rest of its struct alone.
     */
    public static final class MapInfo {
        public static final int TYPE = 0, ID = 4, KEY_SIZE = 8, VALUE_SIZE = 12, MAX_ENTRIES = 16, MAP_FLAGS = 20,
                NAME = 24, IFINDEX = 40, BTF_VMLINUX_VALUE_TYPE_ID = 44, NETNS_DEV = 48, NETNS_INO = 56, BTF_ID = 64,
                BTF_KEY_TYPE_ID = 68, BTF_VALUE_TYPE_ID = 72, BTF_VMLINUX_ID = 76, MAP_EXTRA = 80, HASH = 88, HASH_SIZE = 96;
        public static final int SIZE = 104;
        private MapInfo() {}
    }

    /** struct bpf_prog_info (OBJ_GET_INFO_BY_FD on a program). Array fields (map_ids ...) are user pointers with a count. */
    public static final class ProgInfo {
        public static final int TYPE = 0, ID = 4, TAG = 8, JITED_PROG_LEN = 16, XLATED_PROG_LEN = 20, JITED_PROG_INSNS = 24,
                XLATED_PROG_INSNS = 32, LOAD_TIME = 40, CREATED_BY_UID = 48, NR_MAP_IDS = 52, MAP_IDS = 56, NAME = 64,
                IFINDEX = 80, GPL_COMPATIBLE = 84, NETNS_DEV = 88, NETNS_INO = 96, NR_JITED_KSYMS = 104, BTF_ID = 128,
                NR_FUNC_INFO = 144, RUN_TIME_NS = 192, RUN_CNT = 200, RECURSION_MISSES = 208, VERIFIED_INSNS = 216,
                ATTACH_BTF_OBJ_ID = 220, ATTACH_BTF_ID = 224;
        /** Bit 0 of the word at GPL_COMPATIBLE (a bit field). */
        public static final int GPL_COMPATIBLE_BIT = 1;
        public static final int TAG_SIZE = 8;
        public static final int SIZE = 232;
        private ProgInfo() {}
    }

    /**
     * struct bpf_link_info: type, id, prog_id, then a union by link type (the offsets below are from the start
     * of the struct). Name fields are user buffers: pointer and length are set before the call.
     */
    public static final class LinkInfo {
        public static final int TYPE = 0, ID = 4, PROG_ID = 8, UNION = 16;
        /** raw_tracepoint: tp_name, tp_name_len, cookie. */
        public static final int RAW_TP_NAME = 16, RAW_TP_NAME_LEN = 24, RAW_TP_COOKIE = 32;
        /** tracing (fentry/fexit/lsm/freplace). */
        public static final int TRACING_ATTACH_TYPE = 16, TRACING_TARGET_OBJ_ID = 20, TRACING_TARGET_BTF_ID = 24, TRACING_COOKIE = 32;
        public static final int CGROUP_ID = 16, CGROUP_ATTACH_TYPE = 24;
        public static final int ITER_TARGET_NAME = 16, ITER_TARGET_NAME_LEN = 24, ITER_MAP_ID = 28;
        public static final int NETNS_INO = 16, NETNS_ATTACH_TYPE = 20;
        public static final int XDP_IFINDEX = 16;
        /** enum bpf_link_type: BPF_LINK_TYPE_XDP. */
        public static final int TYPE_XDP = 6;
        public static final int STRUCT_OPS_MAP_ID = 16;
        public static final int NETFILTER_PF = 16, NETFILTER_HOOKNUM = 20, NETFILTER_PRIORITY = 24, NETFILTER_FLAGS = 28;
        public static final int KPROBE_MULTI_COUNT = 24, KPROBE_MULTI_FLAGS = 28, KPROBE_MULTI_MISSED = 32;
        public static final int UPROBE_MULTI_PATH = 16, UPROBE_MULTI_PATH_SIZE = 48, UPROBE_MULTI_COUNT = 52,
                UPROBE_MULTI_FLAGS = 56, UPROBE_MULTI_PID = 60;
        /** perf_event: the perf event type, then a union by it (names are buffers). */
        public static final int PERF_EVENT_TYPE = 16, PERF_TP_NAME = 24, PERF_TP_NAME_LEN = 32, PERF_TP_COOKIE = 40,
                PERF_KPROBE_FUNC_NAME = 24, PERF_KPROBE_NAME_LEN = 32, PERF_KPROBE_OFFSET = 36, PERF_KPROBE_ADDR = 40,
                PERF_KPROBE_MISSED = 48, PERF_KPROBE_COOKIE = 56, PERF_UPROBE_FILE_NAME = 24, PERF_UPROBE_NAME_LEN = 32,
                PERF_UPROBE_OFFSET = 36, PERF_UPROBE_COOKIE = 40, PERF_EVENT_CONFIG = 24, PERF_EVENT_EVENT_TYPE = 32,
                PERF_EVENT_COOKIE = 40;
        public static final int TCX_IFINDEX = 16, TCX_ATTACH_TYPE = 20;
        public static final int NETKIT_IFINDEX = 16, NETKIT_ATTACH_TYPE = 20;
        public static final int SOCKMAP_MAP_ID = 16, SOCKMAP_ATTACH_TYPE = 20;
        public static final int SIZE = 64;
        private LinkInfo() {}
    }

    /** struct bpf_btf_info: the raw BTF is copied into the user buffer {@code btf} of {@code btf_size} bytes. */
    public static final class BtfInfo {
        public static final int BTF = 0, BTF_SIZE = 8, ID = 12, NAME = 16, NAME_LEN = 24, KERNEL_BTF = 28;
        public static final int SIZE = 32;
        private BtfInfo() {}
    }

    /** BPF_ENABLE_STATS: the stats type (BPF_STATS_RUN_TIME = 0); answers an fd that keeps stats on while open. */
    public static final class EnableStats {
        public static final int TYPE = 0;
        public static final int SIZE = 4;
        public static final int STATS_RUN_TIME = 0;
        private EnableStats() {}
    }

    /** BPF_PROG_ATTACH and BPF_PROG_DETACH. */
    public static final class ProgAttach {
        public static final int TARGET_FD = 0, TARGET_IFINDEX = 0, ATTACH_BPF_FD = 4, ATTACH_TYPE = 8, ATTACH_FLAGS = 12,
                REPLACE_BPF_FD = 16, RELATIVE_FD = 20, RELATIVE_ID = 20, EXPECTED_REVISION = 24;
        public static final int SIZE = 32;
        private ProgAttach() {}
    }

    /** BPF_PROG_QUERY. */
    public static final class Query {
        public static final int TARGET_FD = 0, TARGET_IFINDEX = 0, ATTACH_TYPE = 4, QUERY_FLAGS = 8, ATTACH_FLAGS = 12,
                PROG_IDS = 16, COUNT = 24, PROG_ATTACH_FLAGS = 32, LINK_IDS = 40, LINK_ATTACH_FLAGS = 48, REVISION = 56;
        public static final int SIZE = 64;
        private Query() {}
    }

    /** BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID, BPF_LINK_GET_FD_BY_ID, BPF_BTF_GET_FD_BY_ID and the GET_NEXT_ID commands. */
    public static final class GetId {
        public static final int ID = 0, START_ID = 0, NEXT_ID = 4, OPEN_FLAGS = 8;
        public static final int SIZE = 12;
        private GetId() {}
    }

    /** BPF_RAW_TRACEPOINT_OPEN. */
    public static final class RawTracepoint {
        public static final int NAME = 0, PROG_FD = 8, COOKIE = 16;
        public static final int SIZE = 24;
        private RawTracepoint() {}
    }
}
