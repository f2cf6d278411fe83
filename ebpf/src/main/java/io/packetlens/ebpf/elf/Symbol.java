package io.packetlens.ebpf.elf;

/** One symbol table entry ({@code Elf64_Sym}); visibility is the low bits of {@code st_other} (STV_*). */
public record Symbol(int index, String name, int type, int bind, int sectionIndex, long value, long size, int visibility) {
    public static final int STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3;
    public static final int STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;
    public static final int STV_DEFAULT = 0, STV_INTERNAL = 1, STV_HIDDEN = 2, STV_PROTECTED = 3;

    /** Global or weak, but hidden from other objects ({@code __hidden}): libbpf verifies such functions as static. */
    public boolean isHiddenGlobal() {
        return bind != STB_LOCAL && (visibility == STV_HIDDEN || visibility == STV_INTERNAL);
    }
}
