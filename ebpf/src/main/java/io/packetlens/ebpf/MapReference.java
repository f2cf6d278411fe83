package io.packetlens.ebpf;

/**
 * A place in a program's instructions (an {@code ld_imm64}) that must hold a map: its fd
 * (BPF_PSEUDO_MAP_FD) or, for global data, the address of a value at {@code offset}
 * inside element 0 (BPF_PSEUDO_MAP_VALUE). Resolved when the program is loaded.
 */
public record MapReference(int instruction, String map, boolean value, int offset) {}
