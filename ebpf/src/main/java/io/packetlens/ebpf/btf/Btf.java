package io.packetlens.ebpf.btf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * BPF Type Format data from an object's {@code .BTF} section ({@code struct btf_header},
 * the type records and the string table), parsed for reading map definitions and
 * patchable in place: clang leaves DATASEC sizes and VAR offsets at zero, and the loader
 * fills them in before the kernel sees the blob (BPF_BTF_LOAD).
 */
public final class Btf {
    public static final int MAGIC = 0xeb9f;

    /**
     * A struct or union member; {@code bitOffset} is the offset in bits, {@code bitfieldSize} the width of a bit
     * field in bits (0 for an ordinary member).
     */
    public record Member(String name, int type, int bitOffset, int bitfieldSize) {}

    /** An INT's encoding ({@code BTF_INT_SIGNED} 1, {@code BTF_INT_CHAR} 2, {@code BTF_INT_BOOL} 4), bit offset and width. */
    public record IntEncoding(int encoding, int bitOffset, int bits) {
        public static final int SIGNED = 1, CHAR = 2, BOOL = 4;

        public boolean signed() {
            return (encoding & SIGNED) != 0;
        }
    }

    /** One enumerator of an ENUM or ENUM64. */
    public record Enumerator(String name, long value) {}

    /** A DATASEC entry ({@code struct btf_var_secinfo}); {@code position} is its byte position in {@link #bytes()}. */
    public record SecInfo(int varType, int offset, int size, int position) {}

    /** An array's element type and length ({@code struct btf_array}). */
    public record ArrayInfo(int elemType, int indexType, int nelems) {}

    private final byte[] data;
    private final ByteBuffer buf;
    private final int typeStart;
    private final int strStart;
    private final int strLen;
    private final List<BtfType> types; // index = id; element 0 is void

    private Btf(byte[] data) {
        this.data = data;
        this.buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (data.length < 24) throw new BtfException("BTF section too small");
        if (Short.toUnsignedInt(buf.getShort(0)) != MAGIC) throw new BtfException("bad BTF magic (big-endian BTF is not supported)");
        int hdrLen = buf.getInt(4);
        int typeOff = buf.getInt(8), typeLen = buf.getInt(12), strOff = buf.getInt(16);
        this.strLen = buf.getInt(20);
        this.typeStart = hdrLen + typeOff;
        this.strStart = hdrLen + strOff;
        if (hdrLen < 24 || typeStart < 0 || (long) typeStart + typeLen > data.length || strStart < 0
                || (long) strStart + strLen > data.length) {
            throw new BtfException("BTF header points outside the section");
        }
        List<BtfType> list = new ArrayList<>();
        list.add(new BtfType(0, BtfKind.UNKN, "void", 0, false, 0, -1));
        int p = typeStart, end = typeStart + typeLen;
        while (p < end) {
            if (p + 12 > end) throw new BtfException("truncated BTF type record");
            int info = buf.getInt(p + 4);
            int kind = (info >>> 24) & 0x1f;
            int vlen = info & 0xffff;
            list.add(new BtfType(list.size(), kind, string(buf.getInt(p)), vlen, (info >>> 31) != 0, buf.getInt(p + 8), p));
            p += 12 + BtfKind.extraBytes(kind, vlen);
        }
        if (p != end) throw new BtfException("BTF type section length mismatch");
        this.types = Collections.unmodifiableList(list);
    }

    /** Parses a copy of {@code raw}; later fixups change only the copy. */
    public static Btf parse(byte[] raw) {
        try {
            return new Btf(Arrays.copyOf(raw, raw.length));
        } catch (IndexOutOfBoundsException e) {
            throw new BtfException("corrupt BTF: " + e.getMessage());
        }
    }

    /** The BTF blob with all fixups applied, as given to BPF_BTF_LOAD. */
    public byte[] bytes() {
        return data;
    }

    public List<BtfType> types() {
        return types;
    }

    public BtfType type(int id) {
        if (id < 0 || id >= types.size()) throw new BtfException("BTF type id " + id + " out of range");
        return types.get(id);
    }

    /** A string from the string section by offset. */
    public String string(int off) {
        if (off < 0 || off >= strLen) {
            if (off == 0 && strLen == 0) return "";
            throw new BtfException("BTF string offset " + off + " out of range");
        }
        int s = strStart + off, e = s;
        while (e < strStart + strLen && data[e] != 0) e++;
        return new String(data, s, e - s, StandardCharsets.UTF_8);
    }

    /** Skips typedefs and qualifiers. */
    public BtfType resolve(int id) {
        BtfType t = type(id);
        for (int guard = 0; guard < 64; guard++) {
            switch (t.kind()) {
                case BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT, BtfKind.TYPE_TAG -> t = type(t.type());
                default -> { return t; }
            }
        }
        throw new BtfException("BTF type chain too deep at id " + id);
    }

    /** Size in bytes of a type (after resolving typedefs and qualifiers). */
    public long sizeOf(int id) {
        return sizeOf(id, 0);
    }

    private long sizeOf(int id, int depth) {
        // corrupt BTF can make an array or variable its own element: stop instead of overflowing the stack
        if (depth > 64) throw new BtfException("BTF type chain too deep at id " + id);
        BtfType t = resolve(id);
        return switch (t.kind()) {
            case BtfKind.INT, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64, BtfKind.DATASEC, BtfKind.FLOAT -> t.size();
            case BtfKind.PTR -> 8;
            case BtfKind.ARRAY -> {
                ArrayInfo a = array(t.id());
                yield a.nelems() * sizeOf(a.elemType(), depth + 1);
            }
            case BtfKind.VAR -> sizeOf(t.type(), depth + 1);
            default -> throw new BtfException("BTF type " + id + " (kind " + t.kind() + ") has no size");
        };
    }

    public List<Member> members(int id) {
        BtfType t = type(id);
        if (t.kind() != BtfKind.STRUCT && t.kind() != BtfKind.UNION) throw new BtfException("BTF type " + id + " is not a struct");
        List<Member> out = new ArrayList<>(t.vlen());
        for (int i = 0; i < t.vlen(); i++) {
            int p = t.position() + 12 + i * 12;
            int off = buf.getInt(p + 8);
            out.add(new Member(string(buf.getInt(p)), buf.getInt(p + 4), t.kindFlag() ? off & 0xffffff : off,
                    t.kindFlag() ? off >>> 24 : 0));
        }
        return out;
    }

    /** The encoding word of an INT type. */
    public IntEncoding intEncoding(int id) {
        BtfType t = type(id);
        if (t.kind() != BtfKind.INT) throw new BtfException("BTF type " + id + " is not an INT");
        int v = buf.getInt(t.position() + 12);
        return new IntEncoding((v >>> 24) & 0x0f, (v >>> 16) & 0xff, v & 0xff);
    }

    /** The enumerators of an ENUM (signed if the kind flag says so) or ENUM64. */
    public List<Enumerator> enumerators(int id) {
        BtfType t = type(id);
        List<Enumerator> out = new ArrayList<>(t.vlen());
        if (t.kind() == BtfKind.ENUM) {
            for (int i = 0; i < t.vlen(); i++) {
                int p = t.position() + 12 + i * 8;
                int v = buf.getInt(p + 4);
                out.add(new Enumerator(string(buf.getInt(p)), t.kindFlag() ? v : Integer.toUnsignedLong(v)));
            }
        } else if (t.kind() == BtfKind.ENUM64) {
            for (int i = 0; i < t.vlen(); i++) {
                int p = t.position() + 12 + i * 12;
                long v = Integer.toUnsignedLong(buf.getInt(p + 4)) | (long) buf.getInt(p + 8) << 32;
                out.add(new Enumerator(string(buf.getInt(p)), v));
            }
        } else {
            throw new BtfException("BTF type " + id + " is not an enum");
        }
        return out;
    }

    /** A FUNC_PROTO's parameter types, in order (a trailing 0 is a vararg). */
    public List<Integer> params(int id) {
        BtfType t = type(id);
        if (t.kind() != BtfKind.FUNC_PROTO) throw new BtfException("BTF type " + id + " is not a FUNC_PROTO");
        List<Integer> out = new ArrayList<>(t.vlen());
        for (int i = 0; i < t.vlen(); i++) out.add(buf.getInt(t.position() + 12 + i * 8 + 4));
        return out;
    }

    public ArrayInfo array(int id) {
        BtfType t = type(id);
        if (t.kind() != BtfKind.ARRAY) throw new BtfException("BTF type " + id + " is not an array");
        int p = t.position() + 12;
        return new ArrayInfo(buf.getInt(p), buf.getInt(p + 4), buf.getInt(p + 8));
    }

    public List<SecInfo> datasec(int id) {
        BtfType t = type(id);
        if (t.kind() != BtfKind.DATASEC) throw new BtfException("BTF type " + id + " is not a DATASEC");
        List<SecInfo> out = new ArrayList<>(t.vlen());
        for (int i = 0; i < t.vlen(); i++) {
            int p = t.position() + 12 + i * 12;
            out.add(new SecInfo(buf.getInt(p), buf.getInt(p + 4), buf.getInt(p + 8), p));
        }
        return out;
    }

    /** The DATASEC describing ELF section {@code name}, if any. */
    public Optional<BtfType> findDatasec(String name) {
        return types.stream().filter(t -> t.kind() == BtfKind.DATASEC && t.name().equals(name)).findFirst();
    }

    public Optional<BtfType> findByName(int kind, String name) {
        return types.stream().filter(t -> t.kind() == kind && t.name().equals(name)).findFirst();
    }

    /** Patches a DATASEC's size word in place. */
    public void setDatasecSize(BtfType datasec, int size) {
        buf.putInt(datasec.position() + 8, size);
    }

    /** Patches one DATASEC entry's offset in place. */
    public void setSecInfoOffset(SecInfo info, int offset) {
        buf.putInt(info.position() + 4, offset);
    }

    /** Patches one DATASEC entry in place: the type it describes, its offset and its size. */
    public void setSecInfo(SecInfo info, int type, int offset, int size) {
        buf.putInt(info.position(), type);
        buf.putInt(info.position() + 4, offset);
        buf.putInt(info.position() + 8, size);
    }

    /** Reorders a DATASEC's entries by offset in place, as the kernel's BTF check requires. */
    public void sortDatasec(BtfType datasec) {
        List<SecInfo> entries = new ArrayList<>(datasec(datasec.id()));
        entries.sort(java.util.Comparator.comparingInt(SecInfo::offset));
        int p = datasec.position() + 12;
        for (SecInfo e : entries) {
            buf.putInt(p, e.varType());
            buf.putInt(p + 4, e.offset());
            buf.putInt(p + 8, e.size());
            p += 12;
        }
    }

    /** Patches the type (or size) word of a type record in place: a VAR's type, a FUNC's prototype. */
    public void setTypeWord(int id, int value) {
        buf.putInt(type(id).position() + 8, value);
    }

    /** A VAR's linkage (0 static, 1 global allocated, 2 extern). */
    public int varLinkage(int id) {
        BtfType t = type(id);
        if (t.kind() != BtfKind.VAR) throw new BtfException("BTF type " + id + " is not a VAR");
        return buf.getInt(t.position() + 12);
    }

    /** Patches a VAR's linkage in place. */
    public void setVarLinkage(int id, int linkage) {
        BtfType t = type(id);
        if (t.kind() != BtfKind.VAR) throw new BtfException("BTF type " + id + " is not a VAR");
        buf.putInt(t.position() + 12, linkage);
    }

    /** Patches a FUNC's linkage (its vlen bits: 0 static, 1 global, 2 extern) in place. */
    public void setFuncLinkage(int id, int linkage) {
        BtfType t = type(id);
        if (t.kind() != BtfKind.FUNC) throw new BtfException("BTF type " + id + " is not a FUNC");
        int info = buf.getInt(t.position() + 4);
        buf.putInt(t.position() + 4, (info & ~0xffff) | linkage);
    }

    /** A FUNC_PROTO parameter's name offset in the string section (0 for an unnamed one). */
    public int paramNameOffset(int protoId, int i) {
        return buf.getInt(type(protoId).position() + 12 + i * 8);
    }

    /** Patches a FUNC_PROTO parameter's name offset in place. */
    public void setParamNameOffset(int protoId, int i, int nameOffset) {
        buf.putInt(type(protoId).position() + 12 + i * 8, nameOffset);
    }

    /** Offset of a string in the string section, or -1. Used to find a section's name in .BTF.ext records. */
    public int stringOffset(String s) {
        byte[] needle = (s + "\0").getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + needle.length <= strLen; i++) {
            for (int j = 0; j < needle.length; j++) if (data[strStart + i + j] != needle[j]) continue outer;
            if (i == 0 || data[strStart + i - 1] == 0) return i;
        }
        return -1;
    }
}
