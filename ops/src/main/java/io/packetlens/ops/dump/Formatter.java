package io.packetlens.ops.dump;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfException;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * A map key or value formatter compiled once from BTF: integers (signed or not, bit fields), bools, enums (by
 * enumerator name), floats, pointers (hex), char arrays as strings, other arrays, structs and unions (by member name;
 * anonymous members inlined), DATASEC sections (global data, by variable name). Types it cannot describe, and keys or
 * values without BTF, come out as hex bytes. Formatting reads the map's buffer in place (host byte order).
 */
abstract class Formatter {
    abstract void write(MemorySegment s, long off, Sink out) throws IOException;

    /** The formatter for BTF type {@code id} of {@code size} bytes, or hex if {@code btf} is null or the id is 0. */
    static Formatter of(Btf btf, int id, int size) {
        if (btf == null || id == 0) return new Hex(size);
        try {
            return compile(btf, id, 0);
        } catch (BtfException | IllegalArgumentException e) {
            return new Hex(size);
        }
    }

    private static Formatter compile(Btf btf, int id, int depth) {
        if (depth > 32) throw new BtfException("BTF nesting too deep at type " + id);
        BtfType t = btf.resolve(id);
        return switch (t.kind()) {
            case BtfKind.INT -> integer(btf, t);
            case BtfKind.ENUM, BtfKind.ENUM64 -> new Enum(t.size(), t.kindFlag(), btf.enumerators(t.id()));
            case BtfKind.FLOAT -> new Float(t.size());
            case BtfKind.PTR -> new Hex(8, true);
            case BtfKind.ARRAY -> array(btf, t, depth);
            case BtfKind.STRUCT, BtfKind.UNION -> struct(btf, t, depth);
            case BtfKind.DATASEC -> datasec(btf, t, depth);
            case BtfKind.VAR -> compile(btf, t.type(), depth + 1);
            default -> new Hex((int) Math.max(0, safeSize(btf, t.id())));
        };
    }

    private static long safeSize(Btf btf, int id) {
        try {
            return btf.sizeOf(id);
        } catch (BtfException e) {
            return 0;
        }
    }

    private static Formatter integer(Btf btf, BtfType t) {
        Btf.IntEncoding e = btf.intEncoding(t.id());
        if ((e.encoding() & Btf.IntEncoding.BOOL) != 0) return new Bool(t.size());
        if (t.size() > 8) return new Hex(t.size());
        return new Int(t.size(), e.signed(), 0, 0);
    }

    private static Formatter array(Btf btf, BtfType t, int depth) {
        Btf.ArrayInfo a = btf.array(t.id());
        BtfType elem = btf.resolve(a.elemType());
        if (elem.kind() == BtfKind.INT && elem.size() == 1
                && ((btf.intEncoding(elem.id()).encoding() & Btf.IntEncoding.CHAR) != 0 || elem.name().contains("char"))) {
            return new Chars(a.nelems());
        }
        long stride = btf.sizeOf(a.elemType());
        return new Array(compile(btf, a.elemType(), depth + 1), a.nelems(), stride);
    }

    private static Formatter struct(Btf btf, BtfType t, int depth) {
        List<String> names = new ArrayList<>();
        List<Formatter> parts = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        members(btf, t, 0, depth, names, parts, offsets);
        return new Struct(names.toArray(String[]::new), parts.toArray(Formatter[]::new), offsets.stream().mapToLong(Long::longValue).toArray());
    }

    /** Collects members (offsets in bytes; bit fields become Int formatters with their own bit position); anonymous ones inline. */
    private static void members(Btf btf, BtfType t, long baseBits, int depth, List<String> names, List<Formatter> parts, List<Long> offsets) {
        for (Btf.Member m : btf.members(t.id())) {
            long bits = baseBits + m.bitOffset();
            BtfType mt = btf.resolve(m.type());
            if (m.name().isEmpty() && (mt.kind() == BtfKind.STRUCT || mt.kind() == BtfKind.UNION)) {
                members(btf, mt, bits, depth + 1, names, parts, offsets);
                continue;
            }
            names.add(m.name().isEmpty() ? "_" : m.name());
            if (m.bitfieldSize() > 0 || bits % 8 != 0) {
                int width = m.bitfieldSize() > 0 ? m.bitfieldSize() : btf.intEncoding(mt.id()).bits();
                boolean signed = mt.kind() == BtfKind.INT && btf.intEncoding(mt.id()).signed();
                long byteOff = bits / 8;
                parts.add(new Int(0, signed, (int) (bits % 8), width));
                offsets.add(byteOff);
            } else {
                parts.add(compile(btf, m.type(), depth + 1));
                offsets.add(bits / 8);
            }
        }
    }

    private static Formatter datasec(Btf btf, BtfType t, int depth) {
        List<Btf.SecInfo> vars = btf.datasec(t.id());
        String[] names = new String[vars.size()];
        Formatter[] parts = new Formatter[vars.size()];
        long[] offsets = new long[vars.size()];
        for (int i = 0; i < vars.size(); i++) {
            Btf.SecInfo v = vars.get(i);
            BtfType var = btf.type(v.varType());
            names[i] = var.name();
            parts[i] = compile(btf, var.kind() == BtfKind.VAR ? var.type() : v.varType(), depth + 1);
            offsets[i] = v.offset();
        }
        return new Struct(names, parts, offsets);
    }

    static final class Hex extends Formatter {
        private static final char[] DIGITS = "0123456789abcdef".toCharArray();
        private final int size;
        private final boolean pointer;

        Hex(int size) {
            this(size, false);
        }

        Hex(int size, boolean pointer) {
            this.size = size;
            this.pointer = pointer;
        }

        @Override
        void write(MemorySegment s, long off, Sink out) throws IOException {
            if (pointer) {
                out.hex("0x" + Long.toHexString(s.get(JAVA_LONG_UNALIGNED, off)));
                return;
            }
            char[] c = new char[Math.max(0, size * 3 - 1)];
            for (int i = 0; i < size; i++) {
                int b = s.get(JAVA_BYTE, off + i) & 0xff;
                if (i > 0) c[i * 3 - 1] = ' ';
                c[i * 3] = DIGITS[b >>> 4];
                c[i * 3 + 1] = DIGITS[b & 15];
            }
            out.hex(new String(c));
        }
    }

    /** An integer of 1, 2, 4 or 8 bytes, or (width > 0) a bit field of {@code width} bits at bit {@code shift} of its first byte. */
    static final class Int extends Formatter {
        private final int size;
        private final boolean signed;
        private final int shift;
        private final int width;

        Int(int size, boolean signed, int shift, int width) {
            this.size = size;
            this.signed = signed;
            this.shift = shift;
            this.width = width;
        }

        @Override
        void write(MemorySegment s, long off, Sink out) throws IOException {
            if (width > 0) {
                long raw = 0;
                int bytes = (shift + width + 7) / 8;
                for (int i = 0; i < bytes && i < 8; i++) raw |= (s.get(JAVA_BYTE, off + i) & 0xffL) << (8 * i);
                long v = raw >>> shift;
                if (width < 64) {
                    v &= (1L << width) - 1;
                    if (signed && (v & (1L << (width - 1))) != 0) v |= -1L << width;
                }
                if (signed) out.number(v);
                else out.unsigned(v);
                return;
            }
            switch (size) {
                case 1 -> {
                    byte b = s.get(JAVA_BYTE, off);
                    out.number(signed ? b : b & 0xff);
                }
                case 2 -> {
                    short v = s.get(JAVA_SHORT_UNALIGNED, off);
                    out.number(signed ? v : v & 0xffff);
                }
                case 4 -> {
                    int v = s.get(JAVA_INT_UNALIGNED, off);
                    out.number(signed ? v : Integer.toUnsignedLong(v));
                }
                default -> {
                    long v = s.get(JAVA_LONG_UNALIGNED, off);
                    if (signed) out.number(v);
                    else out.unsigned(v);
                }
            }
        }
    }

    static final class Bool extends Formatter {
        private final int size;

        Bool(int size) {
            this.size = size;
        }

        @Override
        void write(MemorySegment s, long off, Sink out) throws IOException {
            boolean v = false;
            for (int i = 0; i < size; i++) v |= s.get(JAVA_BYTE, off + i) != 0;
            out.bool(v);
        }
    }

    static final class Float extends Formatter {
        private final int size;

        Float(int size) {
            this.size = size;
        }

        @Override
        void write(MemorySegment s, long off, Sink out) throws IOException {
            out.decimal(size == 4 ? s.get(JAVA_FLOAT_UNALIGNED, off) : s.get(JAVA_DOUBLE_UNALIGNED, off));
        }
    }

    static final class Enum extends Formatter {
        private final int size;
        private final boolean signed;
        private final long[] values;
        private final String[] names;

        Enum(int size, boolean signed, List<Btf.Enumerator> es) {
            this.size = size;
            this.signed = signed;
            this.values = es.stream().mapToLong(Btf.Enumerator::value).toArray();
            this.names = es.stream().map(Btf.Enumerator::name).toArray(String[]::new);
        }

        @Override
        void write(MemorySegment s, long off, Sink out) throws IOException {
            long v = switch (size) {
                case 1 -> signed ? s.get(JAVA_BYTE, off) : s.get(JAVA_BYTE, off) & 0xffL;
                case 2 -> signed ? s.get(JAVA_SHORT_UNALIGNED, off) : s.get(JAVA_SHORT_UNALIGNED, off) & 0xffffL;
                case 4 -> signed ? s.get(JAVA_INT_UNALIGNED, off) : Integer.toUnsignedLong(s.get(JAVA_INT_UNALIGNED, off));
                default -> s.get(JAVA_LONG_UNALIGNED, off);
            };
            for (int i = 0; i < values.length; i++) {
                if (values[i] == v) {
                    out.symbol(names[i]);
                    return;
                }
            }
            out.number(v);
        }
    }

    /** A char array: the bytes up to the first NUL as a string (non-printable bytes escaped as \xNN). */
    static final class Chars extends Formatter {
        private final int n;

        Chars(int n) {
            this.n = n;
        }

        @Override
        void write(MemorySegment s, long off, Sink out) throws IOException {
            int len = 0;
            boolean plain = true;
            while (len < n) {
                byte b = s.get(JAVA_BYTE, off + len);
                if (b == 0) break;
                if (b < 0x20 || b == 0x7f) plain = false;
                len++;
            }
            if (plain) {
                out.string(new String(s.asSlice(off, len).toArray(JAVA_BYTE), StandardCharsets.ISO_8859_1));
                return;
            }
            StringBuilder b = new StringBuilder(len * 2);
            for (int i = 0; i < len; i++) {
                int c = s.get(JAVA_BYTE, off + i) & 0xff;
                if (c < 0x20 || c >= 0x7f) b.append(String.format("\\x%02x", c));
                else b.append((char) c);
            }
            out.string(b.toString());
        }
    }

    static final class Array extends Formatter {
        private final Formatter elem;
        private final int n;
        private final long stride;

        Array(Formatter elem, int n, long stride) {
            this.elem = elem;
            this.n = n;
            this.stride = stride;
        }

        @Override
        void write(MemorySegment s, long off, Sink out) throws IOException {
            out.startArray();
            for (int i = 0; i < n; i++) elem.write(s, off + i * stride, out);
            out.endArray();
        }
    }

    static final class Struct extends Formatter {
        private final String[] names;
        private final Formatter[] parts;
        private final long[] offsets;

        Struct(String[] names, Formatter[] parts, long[] offsets) {
            this.names = names;
            this.parts = parts;
            this.offsets = offsets;
        }

        @Override
        void write(MemorySegment s, long off, Sink out) throws IOException {
            out.startObject();
            for (int i = 0; i < parts.length; i++) {
                out.field(names[i]);
                parts[i].write(s, off + offsets[i], out);
            }
            out.endObject();
        }
    }

    static {
        // BTF and map buffers are little-endian on every machine packetlens runs on; reading in host order is right
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new ExceptionInInitializerError("big-endian hosts are not supported");
    }
}
