package io.packetlens.ebpf.elf;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A parsed 64-bit little-endian ELF relocatable object for the BPF machine (EM_BPF), as
 * clang {@code -target bpf} writes it: sections, the symbol table and REL relocations.
 * Every offset is bounds-checked, so a corrupt file gives an {@link ElfException}.
 */
public final class ElfFile {
    public static final int EM_BPF = 247;

    private final List<Section> sections;
    private final List<Symbol> symbols;

    private ElfFile(List<Section> sections, List<Symbol> symbols) {
        this.sections = sections;
        this.symbols = symbols;
    }

    public static ElfFile parse(byte[] bytes) {
        try {
            return doParse(bytes);
        } catch (BufferUnderflowException | IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new ElfException("corrupt or truncated ELF object: " + e);
        }
    }

    private static ElfFile doParse(byte[] bytes) {
        if (bytes.length < 64 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F') {
            throw new ElfException("not an ELF file (bad magic)");
        }
        if (bytes[4] != 2) throw new ElfException("not a 64-bit ELF object");
        if (bytes[5] != 1) throw new ElfException("not a little-endian ELF object (big-endian BPF is not supported)");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int machine = Short.toUnsignedInt(b.getShort(18));
        if (machine != EM_BPF) throw new ElfException("ELF machine is " + machine + ", not BPF (" + EM_BPF + "): compile with clang -target bpf");
        long shoff = b.getLong(40);
        int shentsize = Short.toUnsignedInt(b.getShort(58));
        int shnum = Short.toUnsignedInt(b.getShort(60));
        int shstrndx = Short.toUnsignedInt(b.getShort(62));
        if (shentsize != 64) throw new ElfException("unexpected section header size " + shentsize);
        if (shoff <= 0 || shoff + (long) shnum * 64 > bytes.length) throw new ElfException("section headers beyond end of file");
        if (shstrndx >= shnum) throw new ElfException("bad section name table index " + shstrndx);

        long[][] hdr = new long[shnum][];
        for (int i = 0; i < shnum; i++) {
            int o = Math.toIntExact(shoff + i * 64L);
            hdr[i] = new long[] {
                Integer.toUnsignedLong(b.getInt(o)), Integer.toUnsignedLong(b.getInt(o + 4)), b.getLong(o + 8),
                b.getLong(o + 24), b.getLong(o + 32), Integer.toUnsignedLong(b.getInt(o + 40)),
                Integer.toUnsignedLong(b.getInt(o + 44)), b.getLong(o + 56)
            };
        }
        byte[] shstr = contents(bytes, hdr[shstrndx]);
        List<Section> sections = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            long[] h = hdr[i];
            sections.add(new Section(i, string(shstr, (int) h[0]), (int) h[1], h[2], h[3], h[4], (int) h[5],
                    (int) h[6], h[7], contents(bytes, h)));
        }
        List<Symbol> symbols = new ArrayList<>();
        for (Section s : sections) {
            if (s.type() != Section.SHT_SYMTAB) continue;
            if (s.link() >= sections.size()) throw new ElfException("symbol table links to missing string table");
            byte[] strtab = sections.get(s.link()).data();
            ByteBuffer sb = s.buffer();
            int n = s.data().length / 24;
            for (int i = 0; i < n; i++) {
                int o = i * 24;
                int info = sb.get(o + 4) & 0xff;
                symbols.add(new Symbol(i, string(strtab, sb.getInt(o)), info & 0xf, info >> 4,
                        Short.toUnsignedInt(sb.getShort(o + 6)), sb.getLong(o + 8), sb.getLong(o + 16), sb.get(o + 5) & 0x3));
            }
            break;
        }
        return new ElfFile(Collections.unmodifiableList(sections), Collections.unmodifiableList(symbols));
    }

    private static byte[] contents(byte[] bytes, long[] h) {
        if (h[1] == Section.SHT_NOBITS || h[1] == 0) return new byte[0];
        long off = h[3], size = h[4];
        if (off < 0 || size < 0 || off + size > bytes.length) throw new ElfException("section contents beyond end of file");
        byte[] d = new byte[(int) size];
        System.arraycopy(bytes, (int) off, d, 0, (int) size);
        return d;
    }

    private static String string(byte[] table, int off) {
        if (off < 0 || off > table.length) throw new ElfException("string offset " + off + " outside string table");
        int end = off;
        while (end < table.length && table[end] != 0) end++;
        return new String(table, off, end - off, StandardCharsets.UTF_8);
    }

    public List<Section> sections() {
        return sections;
    }

    public List<Symbol> symbols() {
        return symbols;
    }

    public Optional<Section> section(String name) {
        return sections.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public Section section(int index) {
        if (index <= 0 || index >= sections.size()) throw new ElfException("bad section index " + index);
        return sections.get(index);
    }

    /** The REL relocations that apply to {@code target}, in file order. */
    public List<Relocation> relocationsFor(Section target) {
        List<Relocation> out = new ArrayList<>();
        for (Section s : sections) {
            if (s.type() != Section.SHT_REL || s.info() != target.index()) continue;
            ByteBuffer rb = s.buffer();
            int n = s.data().length / 16;
            for (int i = 0; i < n; i++) {
                long offset = rb.getLong(i * 16);
                long info = rb.getLong(i * 16 + 8);
                int symIdx = (int) (info >>> 32);
                if (symIdx < 0 || symIdx >= symbols.size()) throw new ElfException("relocation refers to missing symbol " + symIdx);
                out.add(new Relocation(offset, symbols.get(symIdx), (int) info));
            }
        }
        return out;
    }
}
