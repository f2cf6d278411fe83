package io.packetlens.ebpf.sys;

/** The {@code enum bpf_cmd} values of linux/bpf.h: the first argument of bpf(2). */
public final class BpfCmd {
    public static final int MAP_CREATE = 0, MAP_LOOKUP_ELEM = 1, MAP_UPDATE_ELEM = 2, MAP_DELETE_ELEM = 3,
            MAP_GET_NEXT_KEY = 4, PROG_LOAD = 5, OBJ_PIN = 6, OBJ_GET = 7, PROG_ATTACH = 8, PROG_DETACH = 9,
            PROG_TEST_RUN = 10, PROG_GET_NEXT_ID = 11, MAP_GET_NEXT_ID = 12, PROG_GET_FD_BY_ID = 13,
            MAP_GET_FD_BY_ID = 14, OBJ_GET_INFO_BY_FD = 15, PROG_QUERY = 16, RAW_TRACEPOINT_OPEN = 17,
            BTF_LOAD = 18, BTF_GET_FD_BY_ID = 19, TASK_FD_QUERY = 20, MAP_LOOKUP_AND_DELETE_ELEM = 21,
            MAP_FREEZE = 22, BTF_GET_NEXT_ID = 23, MAP_LOOKUP_BATCH = 24, MAP_LOOKUP_AND_DELETE_BATCH = 25,
            MAP_UPDATE_BATCH = 26, MAP_DELETE_BATCH = 27, LINK_CREATE = 28, LINK_UPDATE = 29,
            LINK_GET_FD_BY_ID = 30, LINK_GET_NEXT_ID = 31, ENABLE_STATS = 32, ITER_CREATE = 33,
            LINK_DETACH = 34, PROG_BIND_MAP = 35;

    private BpfCmd() {}

    public static String name(int cmd) {
        return switch (cmd) {
            case MAP_CREATE -> "BPF_MAP_CREATE"; case MAP_LOOKUP_ELEM -> "BPF_MAP_LOOKUP_ELEM";
            case MAP_UPDATE_ELEM -> "BPF_MAP_UPDATE_ELEM"; case MAP_DELETE_ELEM -> "BPF_MAP_DELETE_ELEM";
            case MAP_GET_NEXT_KEY -> "BPF_MAP_GET_NEXT_KEY"; case PROG_LOAD -> "BPF_PROG_LOAD";
            case OBJ_PIN -> "BPF_OBJ_PIN"; case OBJ_GET -> "BPF_OBJ_GET"; case PROG_TEST_RUN -> "BPF_PROG_TEST_RUN";
            case OBJ_GET_INFO_BY_FD -> "BPF_OBJ_GET_INFO_BY_FD"; case BTF_LOAD -> "BPF_BTF_LOAD";
            case MAP_LOOKUP_AND_DELETE_ELEM -> "BPF_MAP_LOOKUP_AND_DELETE_ELEM"; case MAP_FREEZE -> "BPF_MAP_FREEZE";
            case MAP_LOOKUP_BATCH -> "BPF_MAP_LOOKUP_BATCH"; case MAP_LOOKUP_AND_DELETE_BATCH -> "BPF_MAP_LOOKUP_AND_DELETE_BATCH";
            case MAP_UPDATE_BATCH -> "BPF_MAP_UPDATE_BATCH"; case MAP_DELETE_BATCH -> "BPF_MAP_DELETE_BATCH";
            case LINK_CREATE -> "BPF_LINK_CREATE"; case LINK_DETACH -> "BPF_LINK_DETACH";
            case PROG_ATTACH -> "BPF_PROG_ATTACH"; case PROG_DETACH -> "BPF_PROG_DETACH"; case PROG_QUERY -> "BPF_PROG_QUERY";
            case RAW_TRACEPOINT_OPEN -> "BPF_RAW_TRACEPOINT_OPEN"; case PROG_GET_FD_BY_ID -> "BPF_PROG_GET_FD_BY_ID";
            case MAP_GET_FD_BY_ID -> "BPF_MAP_GET_FD_BY_ID"; case LINK_GET_FD_BY_ID -> "BPF_LINK_GET_FD_BY_ID";
            case BTF_GET_FD_BY_ID -> "BPF_BTF_GET_FD_BY_ID"; case PROG_GET_NEXT_ID -> "BPF_PROG_GET_NEXT_ID";
            case MAP_GET_NEXT_ID -> "BPF_MAP_GET_NEXT_ID"; case LINK_GET_NEXT_ID -> "BPF_LINK_GET_NEXT_ID";
            case BTF_GET_NEXT_ID -> "BPF_BTF_GET_NEXT_ID"; case ENABLE_STATS -> "BPF_ENABLE_STATS";
            default -> "bpf cmd " + cmd;
        };
    }
}
