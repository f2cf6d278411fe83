package io.packetlens.ebpf.btf;

/**
 * One {@code struct btf_type}: its id, kind, name, vlen and the size-or-type word, plus the
 * byte position of the record in the type section (so that fixups can patch it in place).
 */
public record BtfType(int id, int kind, String name, int vlen, boolean kindFlag, int sizeOrType, int position) {
    /** For kinds that carry a size (INT, STRUCT, UNION, ENUM, DATASEC, FLOAT). */
    public int size() {
        return sizeOrType;
    }

    /** For kinds that refer to another type (PTR, TYPEDEF, CONST, VOLATILE, RESTRICT, FUNC, VAR, TYPE_TAG). */
    public int type() {
        return sizeOrType;
    }
}
