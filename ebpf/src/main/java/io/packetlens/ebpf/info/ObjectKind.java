package io.packetlens.ebpf.info;

import io.packetlens.ebpf.sys.BpfCmd;

/**
 * The four kinds of BPF object the kernel numbers with ids: each has its own GET_NEXT_ID and GET_FD_BY_ID
 * commands, and its fds show as {@code anon_inode:bpf-prog}, {@code bpf-map}, {@code bpf-link} (BTF objects as
 * {@code btf}) in /proc/PID/fd.
 */
public enum ObjectKind {
    PROGRAM(BpfCmd.PROG_GET_NEXT_ID, BpfCmd.PROG_GET_FD_BY_ID, "bpf-prog", "prog_id"),
    MAP(BpfCmd.MAP_GET_NEXT_ID, BpfCmd.MAP_GET_FD_BY_ID, "bpf-map", "map_id"),
    LINK(BpfCmd.LINK_GET_NEXT_ID, BpfCmd.LINK_GET_FD_BY_ID, "bpf-link", "link_id"),
    BTF(BpfCmd.BTF_GET_NEXT_ID, BpfCmd.BTF_GET_FD_BY_ID, "btf", "btf_id");

    final int nextIdCmd;
    final int fdByIdCmd;
    private final String anonInode;
    private final String fdinfoIdKey;

    ObjectKind(int nextIdCmd, int fdByIdCmd, String anonInode, String fdinfoIdKey) {
        this.nextIdCmd = nextIdCmd;
        this.fdByIdCmd = fdByIdCmd;
        this.anonInode = anonInode;
        this.fdinfoIdKey = fdinfoIdKey;
    }

    /** What /proc/PID/fd/N links to for an fd of this kind, after {@code anon_inode:}. */
    public String anonInode() {
        return anonInode;
    }

    /** The /proc/PID/fdinfo/N key that holds the object's id. */
    public String fdinfoIdKey() {
        return fdinfoIdKey;
    }

    /** The kind of an fd whose /proc link target is {@code anon_inode:NAME}, or null. */
    public static ObjectKind ofAnonInode(String name) {
        for (ObjectKind k : values()) if (k.anonInode.equals(name)) return k;
        return null;
    }
}
