package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds a function's file offset in an ELF executable or shared library (x86-64 and aarch64, 64-bit little-endian),
 * where a uprobe is placed: the symbol's address from .symtab or, in stripped files, .dynsym, turned into a file
 * offset through the section that holds it (address - sh_addr + sh_offset), as libbpf's elf_find_func_offset does.
 */
final class ElfSymbols {
    private static final int SHT_SYMTAB = 2, SHT_DYNSYM = 11, STT_FUNC = 2, STT_GNU_IFUNC = 10;

    private ElfSymbols() {}

    static long offsetOf(Path file, String function) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BpfException.NotFoundException("cannot read " + file + " to find " + function + ": " + e.getMessage());
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 64 || b.getInt(0) != 0x464c457f || bytes[4] != 2 || bytes[5] != 1) {
            throw new BpfException(file + " is not a 64-bit little-endian ELF file");
        }
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3a)), shnum = Short.toUnsignedInt(b.getShort(0x3c));
        for (int pass = 0; pass < 2; pass++) {
            int want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
            for (int i = 0; i < shnum; i++) {
                int h = (int) (shoff + (long) i * shentsize);
                if (b.getInt(h + 4) != want) continue;
                long symOff = b.getLong(h + 0x18), symSize = b.getLong(h + 0x20);
                int strIndex = b.getInt(h + 0x28);
                int sh = (int) (shoff + (long) strIndex * shentsize);
                long strOff = b.getLong(sh + 0x18);
                for (long p = symOff; p + 24 <= symOff + symSize; p += 24) {
                    int info = bytes[(int) p + 4] & 0xff, shndx = Short.toUnsignedInt(b.getShort((int) p + 6));
                    int type = info & 0xf;
                    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || shndx == 0 || shndx >= shnum) continue;
                    if (!name(bytes, (int) (strOff + b.getInt((int) p))).equals(function)) continue;
                    long value = b.getLong((int) p + 8);
                    int s = (int) (shoff + (long) shndx * shentsize);
                    return value - b.getLong(s + 0x10) + b.getLong(s + 0x18);
                }
            }
        }
        throw new BpfException.NotFoundException("no function " + function + " in " + file + " (neither .symtab nor .dynsym has it)");
    }

    private static String name(byte[] bytes, int at) {
        int e = at;
        while (e < bytes.length && bytes[e] != 0) e++;
        return new String(bytes, at, e - at, StandardCharsets.UTF_8);
    }
}
