package io.packetlens.ebpf.btf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * Makes an object's BTF loadable by a kernel that lacks some BTF kinds, as libbpf's bpf_object__sanitize_btf does,
 * by rewriting records in place in a copy (every type keeps its id and size): DECL_TAG becomes a one-byte INT,
 * TYPE_TAG a CONST, ENUM64 a UNION of its values (and ENUM loses its signedness flag), FLOAT an empty STRUCT of the same
 * size, and without function info FUNC becomes a TYPEDEF and FUNC_PROTO an ENUM; without global functions a global
 * FUNC becomes static.
 */
public final class BtfSanitizer {
    /** Pseudo-kind: the kernel takes FUNCs but not their global linkage (before 5.6). */
    public static final int FUNC_GLOBAL = 100;

    private BtfSanitizer() {}

    /** A sanitized copy of {@code btf} for a kernel without {@code missing} (BtfKind values, and {@link #FUNC_GLOBAL}); {@code btf} if none is missing. */
    public static Btf sanitize(Btf btf, Set<Integer> missing) {
        if (missing.isEmpty()) return btf;
        byte[] bytes = btf.bytes().clone();
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int placeholder = -1;
        for (BtfType t : btf.types()) {
            if (t.kind() == BtfKind.INT) {
                placeholder = t.id();
                break;
            }
        }
        for (BtfType t : btf.types()) {
            int p = t.position();
            if (p < 0) continue;
            switch (t.kind()) {
                case BtfKind.DECL_TAG -> {
                    if (missing.contains(BtfKind.DECL_TAG)) {
                        b.putInt(p, 0);
                        b.putInt(p + 4, info(BtfKind.INT, 0, false));
                        b.putInt(p + 8, 1);
                        b.putInt(p + 12, 8); // BTF_INT_ENC(0, 0, 8)
                    }
                }
                case BtfKind.TYPE_TAG -> {
                    if (missing.contains(BtfKind.TYPE_TAG)) {
                        b.putInt(p, 0);
                        b.putInt(p + 4, info(BtfKind.CONST, 0, false));
                    }
                }
                case BtfKind.ENUM -> {
                    if (missing.contains(BtfKind.ENUM64)) b.putInt(p + 4, info(BtfKind.ENUM, t.vlen(), false));
                }
                case BtfKind.ENUM64 -> {
                    if (missing.contains(BtfKind.ENUM64)) {
                        if (placeholder < 0) throw new BtfException("cannot turn ENUM64 " + t.name() + " into a union: the BTF has no INT");
                        b.putInt(p + 4, info(BtfKind.UNION, t.vlen(), false));
                        for (int i = 0; i < t.vlen(); i++) {
                            int m = p + 12 + i * 12;
                            b.putInt(m + 4, placeholder);
                            b.putInt(m + 8, 0);
                        }
                    }
                }
                case BtfKind.FLOAT -> {
                    if (missing.contains(BtfKind.FLOAT)) {
                        b.putInt(p, 0);
                        b.putInt(p + 4, info(BtfKind.STRUCT, 0, false));
                    }
                }
                case BtfKind.FUNC_PROTO -> {
                    if (missing.contains(BtfKind.FUNC)) {
                        b.putInt(p + 4, info(BtfKind.ENUM, t.vlen(), false));
                        b.putInt(p + 8, 4); // the kernel wants 4-byte enums
                    }
                }
                case BtfKind.FUNC -> {
                    if (missing.contains(BtfKind.FUNC)) b.putInt(p + 4, info(BtfKind.TYPEDEF, 0, false));
                    else if (missing.contains(FUNC_GLOBAL)) b.putInt(p + 4, info(BtfKind.FUNC, 0, false));
                }
                default -> { }
            }
        }
        return Btf.parse(bytes);
    }

    private static int info(int kind, int vlen, boolean kindFlag) {
        return (kindFlag ? 1 << 31 : 0) | kind << 24 | (vlen & 0xffff);
    }
}
