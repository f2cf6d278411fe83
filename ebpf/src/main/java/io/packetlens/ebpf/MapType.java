package io.packetlens.ebpf;

/** {@code enum bpf_map_type} of linux/bpf.h. */
public enum MapType {
    UNSPEC(0), HASH(1), ARRAY(2), PROG_ARRAY(3), PERF_EVENT_ARRAY(4), PERCPU_HASH(5), PERCPU_ARRAY(6),
    STACK_TRACE(7), CGROUP_ARRAY(8), LRU_HASH(9), LRU_PERCPU_HASH(10), LPM_TRIE(11), ARRAY_OF_MAPS(12),
    HASH_OF_MAPS(13), DEVMAP(14), SOCKMAP(15), CPUMAP(16), XSKMAP(17), SOCKHASH(18), CGROUP_STORAGE(19),
    REUSEPORT_SOCKARRAY(20), PERCPU_CGROUP_STORAGE(21), QUEUE(22), STACK(23), SK_STORAGE(24), DEVMAP_HASH(25),
    STRUCT_OPS(26), RINGBUF(27), INODE_STORAGE(28), TASK_STORAGE(29), BLOOM_FILTER(30), USER_RINGBUF(31),
    CGRP_STORAGE(32), ARENA(33);

    private final int value;

    MapType(int value) {
        this.value = value;
    }

    /** The kernel's number for this map type. */
    public int value() {
        return value;
    }

    /** The map type numbered {@code value}, if this library knows it (a newer kernel may report others). */
    public static java.util.Optional<MapType> find(int value) {
        for (MapType t : values()) if (t.value == value) return java.util.Optional.of(t);
        return java.util.Optional.empty();
    }

    /** The kernel's name in lower case, as libbpf and bpftool print it ({@code sched_cls}, {@code percpu_hash}); a number if unknown. */
    public static String nameOf(int value) {
        return find(value).map(t -> t.name().toLowerCase(java.util.Locale.ROOT)).orElse(Integer.toString(value));
    }

    public static MapType of(int value) {
        for (MapType t : values()) if (t.value == value) return t;
        throw new BpfException("unknown map type " + value);
    }

    /** Whether lookups return one value per possible CPU. */
    public boolean isPerCpu() {
        return this == PERCPU_HASH || this == PERCPU_ARRAY || this == LRU_PERCPU_HASH || this == PERCPU_CGROUP_STORAGE;
    }

    /** Whether the kernel accepts BTF key and value type ids for this map type. */
    boolean takesBtfKeyValue() {
        return switch (this) {
            case HASH, ARRAY, PERCPU_HASH, PERCPU_ARRAY, LRU_HASH, LRU_PERCPU_HASH, LPM_TRIE, SK_STORAGE,
                 INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE -> true;
            default -> false;
        };
    }
}
