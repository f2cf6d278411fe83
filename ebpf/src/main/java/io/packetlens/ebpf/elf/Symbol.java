package io.packetlens.ebpf.elf;

/** One symbol table entry ({@code Elf64_Sym}). */
public record Symbol(int index, String name, int type, int bind, int sectionIndex, long value, long size) {
    public static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3;
    public static final int STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;
}
