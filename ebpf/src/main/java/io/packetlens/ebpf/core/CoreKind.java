package io.packetlens.ebpf.core;

/** {@code enum bpf_core_relo_kind}: what a CO-RE relocation computes. */
public enum CoreKind {
    FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE, FIELD_EXISTS, FIELD_SIGNED, FIELD_LSHIFT_U64, FIELD_RSHIFT_U64,
    TYPE_ID_LOCAL, TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, ENUMVAL_EXISTS, ENUMVAL_VALUE, TYPE_MATCHES;

    /** The kind numbered {@code v} in .BTF.ext. */
    public static CoreKind of(int v) {
        if (v < 0 || v >= values().length) throw new CoreException("unknown CO-RE relocation kind " + v);
        return values()[v];
    }

    boolean fieldBased() {
        return ordinal() <= FIELD_RSHIFT_U64.ordinal();
    }

    boolean typeBased() {
        return this == TYPE_ID_LOCAL || this == TYPE_ID_TARGET || this == TYPE_EXISTS || this == TYPE_SIZE || this == TYPE_MATCHES;
    }

    boolean enumBased() {
        return this == ENUMVAL_EXISTS || this == ENUMVAL_VALUE;
    }

    /** The name libbpf's messages use (byte_off, exists, enumval_value ...). */
    String label() {
        return switch (this) {
            case FIELD_BYTE_OFFSET -> "byte_off"; case FIELD_BYTE_SIZE -> "byte_sz"; case FIELD_EXISTS -> "field_exists";
            case FIELD_SIGNED -> "signed"; case FIELD_LSHIFT_U64 -> "lshift_u64"; case FIELD_RSHIFT_U64 -> "rshift_u64";
            case TYPE_ID_LOCAL -> "local_type_id"; case TYPE_ID_TARGET -> "target_type_id"; case TYPE_EXISTS -> "type_exists";
            case TYPE_SIZE -> "type_size"; case ENUMVAL_EXISTS -> "enumval_exists"; case ENUMVAL_VALUE -> "enumval_value";
            case TYPE_MATCHES -> "type_matches";
        };
    }
}
