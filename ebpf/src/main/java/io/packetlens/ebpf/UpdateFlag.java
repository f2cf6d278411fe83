package io.packetlens.ebpf;

/** The {@code flags} of BPF_MAP_UPDATE_ELEM. */
public enum UpdateFlag {
    /** BPF_ANY: create or replace. */
    ANY(0),
    /** BPF_NOEXIST: create only; fails with EEXIST if the key exists. */
    NOEXIST(1),
    /** BPF_EXIST: replace only; fails with ENOENT if the key is missing. */
    EXIST(2);

    private final long value;

    UpdateFlag(long value) {
        this.value = value;
    }

    public long value() {
        return value;
    }
}
