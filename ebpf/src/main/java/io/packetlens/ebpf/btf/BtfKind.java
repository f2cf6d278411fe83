package io.packetlens.ebpf.btf;

/** The BTF_KIND_* values of linux/btf.h: what a {@code struct btf_type} describes. */
public final class BtfKind {
    public static final int UNKN = 0, INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7,
            TYPEDEF = 8, VOLATILE = 9, CONST = 10, RESTRICT = 11, FUNC = 12, FUNC_PROTO = 13, VAR = 14,
            DATASEC = 15, FLOAT = 16, DECL_TAG = 17, TYPE_TAG = 18, ENUM64 = 19;

    private BtfKind() {}

    /** Bytes of kind-specific data that follow the 12-byte {@code struct btf_type}. */
    static int extraBytes(int kind, int vlen) {
        return switch (kind) {
            case INT, VAR, DECL_TAG -> 4;
            case ARRAY -> 12;
            case STRUCT, UNION, DATASEC, ENUM64 -> 12 * vlen;
            case ENUM, FUNC_PROTO -> 8 * vlen;
            case PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG -> 0;
            default -> throw new BtfException("unknown BTF kind " + kind);
        };
    }
}
