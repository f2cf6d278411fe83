package io.packetlens.ebpf;

/** A BTF map definition's {@code pinning} field, as libbpf defines it. */
public enum Pinning {
    /** Not pinned: the map lives while some fd or program holds it. */
    NONE,
    /** Pinned at {@code <pin path>/<map name>}; an existing compatible pin is reused instead of creating a map. */
    BY_NAME
}
