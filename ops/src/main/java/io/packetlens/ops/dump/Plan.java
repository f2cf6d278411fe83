package io.packetlens.ops.dump;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfException;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;


/**
 * How to print one map key or value, compiled once from BTF into a flat list of steps (literal bytes such as
 * {@code {"packets":}, then "an unsigned 8-byte integer at offset 0", ...) that a loop runs per entry: integers
 * (signed or not, bit fields), bools, enums (by enumerator name), floats, pointers (hex), char arrays as strings,
 * arrays, structs and unions (by member name; anonymous members inlined), DATASEC sections (global data, by
 * variable name). Types it cannot describe, and keys or values without BTF, print as hex bytes. The same steps serve
 * JSON ({@code {"a":1,"s":"x"}}) and text ({@code {a: 1, s: "x"}}); enumerators are bare words in text. Buffers are
 * read in host byte order.
 */
final class Plan {
    private static final int LIT = 0, U8 = 1, S8 = 2, U16 = 3, S16 = 4, U32 = 5, S32 = 6, U64 = 7, S64 = 8, BITS = 9, BOOL = 10,
            ENUM = 11, F32 = 12, F64 = 13, CHARS = 14, HEX = 15, PTR = 16;

    private final int[] op;
    /** Per step: the offset (or, for LIT, unused). */
    private final long[] off;
    /** Per step: size, count or bit-field packing. */
    private final int[] arg;
    /** Per step: literal bytes, or an enum's table. */
    private final Object[] ref;

    private Plan(Builder b) {
        int n = b.op.size();
        op = new int[n];
        off = new long[n];
        arg = new int[n];
        ref = new Object[n];
        for (int i = 0; i < n; i++) {
            op[i] = b.op.get(i);
            off[i] = b.off.get(i);
            arg[i] = b.arg.get(i);
            ref[i] = b.ref.get(i);
        }
    }

    /** The plan for BTF type {@code id} of {@code size} bytes; hex if {@code btf} is null or the id is 0 or not printable. */
    static Plan of(Btf btf, int id, int size, boolean json) {
        if (btf != null && id != 0) {
            try {
                Builder b = new Builder(btf, json);
                b.type(id, 0, 0);
                return b.build();
            } catch (BtfException | IllegalArgumentException e) {
                // fall through to hex
            }
        }
        Builder b = new Builder(null, json);
        b.hex(0, size);
        return b.build();
    }

    /**
     * Prints the key or value at {@code data[base..]}. The map's buffers are copied to a heap array per batch first:
     * plain array reads cost little even before the JIT has compiled this loop, unlike MemorySegment accessors, and a
     * short command runs mostly before that.
     */
    void write(byte[] d, int base, Out out) throws IOException {
        for (int i = 0; i < op.length; i++) {
            int o = base + (int) off[i];
            switch (op[i]) {
                case LIT -> out.lit((byte[]) ref[i]);
                case U8 -> out.signed(d[o] & 0xffL);
                case S8 -> out.signed(d[o]);
                case U16 -> out.signed(u16(d, o));
                case S16 -> out.signed((short) u16(d, o));
                case U32 -> out.signed(u32(d, o));
                case S32 -> out.signed((int) u32(d, o));
                case U64 -> out.unsigned(u64(d, o));
                case S64 -> out.signed(u64(d, o));
                case BITS -> bits(d, o, arg[i], out);
                case BOOL -> out.lit(nonZero(d, o, arg[i]) ? Builder.TRUE : Builder.FALSE);
                case ENUM -> enumerator(d, o, arg[i], (Enumerators) ref[i], out);
                case F32 -> out.ascii(Float.toString(Float.intBitsToFloat((int) u32(d, o))));
                case F64 -> out.ascii(Double.toString(Double.longBitsToDouble(u64(d, o))));
                case CHARS -> out.cString(d, o, arg[i]);
                case HEX -> out.hex(d, o, arg[i]);
                case PTR -> out.hexLong(u64(d, o));
                default -> throw new IllegalStateException("plan step " + op[i]);
            }
        }
    }

    /** Little-endian reads (BPF maps hold host-order data; packetlens runs on little-endian hosts). */
    private static long u16(byte[] d, int o) {
        return (d[o] & 0xff) | (d[o + 1] & 0xff) << 8;
    }

    private static long u32(byte[] d, int o) {
        return (d[o] & 0xffL) | (d[o + 1] & 0xffL) << 8 | (d[o + 2] & 0xffL) << 16 | (d[o + 3] & 0xffL) << 24;
    }

    private static long u64(byte[] d, int o) {
        return u32(d, o) | u32(d, o + 4) << 32;
    }

    /** arg packs signed (bit 16), shift (bits 8-15) and width (bits 0-7). */
    private static void bits(byte[] d, int o, int packed, Out out) throws IOException {
        int width = packed & 0xff, shift = (packed >>> 8) & 0xff;
        boolean signed = (packed & 0x10000) != 0;
        long raw = 0;
        int bytes = (shift + width + 7) / 8;
        for (int i = 0; i < bytes && i < 8; i++) raw |= (d[o + i] & 0xffL) << (8 * i);
        long v = raw >>> shift;
        if (width < 64) {
            v &= (1L << width) - 1;
            if (signed && (v & (1L << (width - 1))) != 0) v |= -1L << width;
        }
        if (signed) out.signed(v);
        else out.unsigned(v);
    }

    private static boolean nonZero(byte[] d, int o, int size) {
        for (int i = 0; i < size; i++) if (d[o + i] != 0) return true;
        return false;
    }

    private static void enumerator(byte[] d, int o, int size, Enumerators t, Out out) throws IOException {
        long v = switch (size) {
            case 1 -> t.signed ? d[o] : d[o] & 0xffL;
            case 2 -> t.signed ? (short) u16(d, o) : u16(d, o);
            case 4 -> t.signed ? (int) u32(d, o) : u32(d, o);
            default -> u64(d, o);
        };
        for (int i = 0; i < t.values.length; i++) {
            if (t.values[i] == v) {
                out.lit(t.names[i]);
                return;
            }
        }
        out.signed(v);
    }

    /** An enum's values and their names, already in output form (quoted for JSON, bare for text). */
    private record Enumerators(boolean signed, long[] values, byte[][] names) {}

    /** Compiles BTF into steps, merging adjacent literals. */
    private static final class Builder {
        static final byte[] TRUE = bytes("true"), FALSE = bytes("false");
        private final Btf btf;
        private final boolean json;
        private final List<Integer> op = new ArrayList<>();
        private final List<Long> off = new ArrayList<>();
        private final List<Integer> arg = new ArrayList<>();
        private final List<Object> ref = new ArrayList<>();
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Builder(Btf btf, boolean json) {
            this.btf = btf;
            this.json = json;
        }

        private static byte[] bytes(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }

        void lit(String s) {
            pending.writeBytes(bytes(s));
        }

        private void step(int code, long offset, int a, Object r) {
            flushLiteral();
            op.add(code);
            off.add(offset);
            arg.add(a);
            ref.add(r);
        }

        private void flushLiteral() {
            if (pending.size() == 0) return;
            op.add(LIT);
            off.add(0L);
            arg.add(0);
            ref.add(pending.toByteArray());
            pending.reset();
        }

        Plan build() {
            flushLiteral();
            return new Plan(this);
        }

        /** Hex bytes (and pointers): a string in JSON, bare in text. */
        void hex(long offset, int size) {
            if (json) lit("\"");
            step(HEX, offset, size, null);
            if (json) lit("\"");
        }

        private void pointer(long offset) {
            if (json) lit("\"");
            step(PTR, offset, 8, null);
            if (json) lit("\"");
        }

        private void field(String name, boolean first) {
            if (!first) lit(json ? "," : ", ");
            lit(json ? "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\":" : name + ": ");
        }

        void type(int id, long offset, int depth) {
            if (depth > 32) throw new BtfException("BTF nesting too deep at type " + id);
            BtfType t = btf.resolve(id);
            switch (t.kind()) {
                case BtfKind.INT -> integer(t, offset);
                case BtfKind.ENUM, BtfKind.ENUM64 -> enumeration(t, offset);
                case BtfKind.FLOAT -> step(t.size() == 4 ? F32 : F64, offset, t.size(), null);
                case BtfKind.PTR -> pointer(offset);
                case BtfKind.ARRAY -> array(t, offset, depth);
                case BtfKind.STRUCT, BtfKind.UNION -> {
                    lit("{");
                    members(t, offset * 8, depth, new boolean[] {true});
                    lit("}");
                }
                case BtfKind.DATASEC -> {
                    lit("{");
                    boolean first = true;
                    for (Btf.SecInfo v : btf.datasec(t.id())) {
                        BtfType var = btf.type(v.varType());
                        field(var.name(), first);
                        first = false;
                        type(var.kind() == BtfKind.VAR ? var.type() : v.varType(), offset + v.offset(), depth + 1);
                    }
                    lit("}");
                }
                case BtfKind.VAR -> type(t.type(), offset, depth + 1);
                default -> hex(offset, (int) btf.sizeOf(t.id()));
            }
        }

        private void integer(BtfType t, long offset) {
            Btf.IntEncoding e = btf.intEncoding(t.id());
            if ((e.encoding() & Btf.IntEncoding.BOOL) != 0) {
                step(BOOL, offset, t.size(), null);
                return;
            }
            boolean s = e.signed();
            switch (t.size()) {
                case 1 -> step(s ? S8 : U8, offset, 1, null);
                case 2 -> step(s ? S16 : U16, offset, 2, null);
                case 4 -> step(s ? S32 : U32, offset, 4, null);
                case 8 -> step(s ? S64 : U64, offset, 8, null);
                default -> hex(offset, t.size());
            }
        }

        private void enumeration(BtfType t, long offset) {
            List<Btf.Enumerator> es = btf.enumerators(t.id());
            long[] values = new long[es.size()];
            byte[][] names = new byte[es.size()][];
            for (int i = 0; i < es.size(); i++) {
                values[i] = es.get(i).value();
                names[i] = bytes(json ? "\"" + es.get(i).name() + "\"" : es.get(i).name());
            }
            step(ENUM, offset, t.size(), new Enumerators(t.kindFlag(), values, names));
        }

        private void array(BtfType t, long offset, int depth) {
            Btf.ArrayInfo a = btf.array(t.id());
            BtfType elem = btf.resolve(a.elemType());
            if (elem.kind() == BtfKind.INT && elem.size() == 1
                    && ((btf.intEncoding(elem.id()).encoding() & Btf.IntEncoding.CHAR) != 0 || elem.name().contains("char"))) {
                step(CHARS, offset, a.nelems(), null);
                return;
            }
            long stride = btf.sizeOf(a.elemType());
            lit("[");
            for (int i = 0; i < a.nelems(); i++) {
                if (i > 0) lit(json ? "," : ", ");
                type(a.elemType(), offset + i * stride, depth + 1);
            }
            lit("]");
        }

        /** Members at bit offset {@code baseBits}; anonymous struct/union members are inlined. */
        private void members(BtfType t, long baseBits, int depth, boolean[] first) {
            for (Btf.Member m : btf.members(t.id())) {
                long bits = baseBits + m.bitOffset();
                BtfType mt = btf.resolve(m.type());
                if (m.name().isEmpty() && (mt.kind() == BtfKind.STRUCT || mt.kind() == BtfKind.UNION)) {
                    members(mt, bits, depth + 1, first);
                    continue;
                }
                field(m.name().isEmpty() ? "_" : m.name(), first[0]);
                first[0] = false;
                if (m.bitfieldSize() > 0 || bits % 8 != 0) {
                    int width = m.bitfieldSize() > 0 ? m.bitfieldSize() : btf.intEncoding(mt.id()).bits();
                    boolean signed = mt.kind() == BtfKind.INT && btf.intEncoding(mt.id()).signed();
                    step(BITS, bits / 8, (signed ? 0x10000 : 0) | (int) (bits % 8) << 8 | width, null);
                } else {
                    type(m.type(), bits / 8, depth + 1);
                }
            }
        }
    }
}
