package io.packetlens.ebpf.elf;

/** One {@code Elf64_Rel} entry: at byte {@code offset} of the target section, refer to {@code symbol}. */
public record Relocation(long offset, Symbol symbol, int type) {
    /** R_BPF_64_64: ld_imm64 of a map or data address. */
    public static final int R_BPF_64_64 = 1;
    /** R_BPF_64_ABS64 / ABS32: data, e.g. in .BTF or .maps. */
    public static final int R_BPF_64_ABS64 = 2, R_BPF_64_ABS32 = 3;
    /** R_BPF_64_32: a call to a function symbol. */
    public static final int R_BPF_64_32 = 10;
}
