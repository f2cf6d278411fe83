package io.packetlens.ebpf.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** One ELF section header ({@code Elf64_Shdr}) and its contents. */
public record Section(int index, String name, int type, long flags, long offset, long size, int link, int info,
                      long entSize, byte[] data) {
    public static final int SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_REL = 9, SHT_NOBITS = 8;
    public static final long SHF_EXECINSTR = 0x4;

    public boolean isExecutable() {
        return type == SHT_PROGBITS && (flags & SHF_EXECINSTR) != 0;
    }

    /** The contents as a little-endian buffer. */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }
}
