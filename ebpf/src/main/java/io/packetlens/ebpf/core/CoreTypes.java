package io.packetlens.ebpf.core;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;

import java.util.List;

/** libbpf's CO-RE compatibility rules between a type of the object's BTF and one of the target's. */
final class CoreTypes {
    private static final int MAX_DEPTH = 32;

    private CoreTypes() {}

    /**
     * The name without a flavour suffix: "task_struct___old" is "task_struct" (bpf_core_essential_name_len: the last
     * "___" that has a non-underscore on each side).
     */
    static String essential(String name) {
        for (int i = name.length() - 5; i >= 0; i--) {
            if (name.charAt(i) != '_' && name.charAt(i + 1) == '_' && name.charAt(i + 2) == '_' && name.charAt(i + 3) == '_'
                    && name.charAt(i + 4) != '_') {
                return name.substring(0, i + 1);
            }
        }
        return name;
    }

    /** Kinds that may stand for one another in a candidate search: the same kind, or ENUM and ENUM64. */
    static boolean kindsCompatible(BtfType a, BtfType b) {
        return a.kind() == b.kind() || CoreSpec.isEnum(a) && CoreSpec.isEnum(b);
    }

    /**
     * {@code bpf_core_fields_are_compat}: whether a field of local type {@code local} can be read as the target's
     * field of type {@code target}. Structs and unions are compatible with each other (their members are matched by
     * name on the way), pointers with pointers, integers with integers of any size (not the old bitfield-like ints
     * with a bit offset), enums and forward declarations by name, arrays by element type.
     */
    static boolean fieldsCompatible(Btf lb, int local, Btf tb, int target) {
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            BtfType l = lb.resolve(local), t = tb.resolve(target);
            if (CoreSpec.isComposite(l) && CoreSpec.isComposite(t)) return true;
            if (!kindsCompatible(l, t)) return false;
            switch (l.kind()) {
                case BtfKind.PTR, BtfKind.FLOAT -> { return true; }
                case BtfKind.FWD, BtfKind.ENUM, BtfKind.ENUM64 -> { return namesMatch(l, t); }
                case BtfKind.INT -> { return lb.intEncoding(l.id()).bitOffset() == 0 && tb.intEncoding(t.id()).bitOffset() == 0; }
                case BtfKind.ARRAY -> {
                    local = lb.array(l.id()).elemType();
                    target = tb.array(t.id()).elemType();
                }
                default -> { return false; }
            }
        }
        throw new CoreException("types nested too deeply");
    }

    /**
     * {@code bpf_core_types_are_compat}, for type relocations: the same kind after typedefs and qualifiers (ENUM and
     * ENUM64 alike); structs, unions, enums and forward declarations need nothing more (they were found by name),
     * integers no bit offset, pointers and arrays compatible targets, function prototypes compatible parameters
     * and return types.
     */
    static boolean typesCompatible(Btf lb, int local, Btf tb, int target) {
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            BtfType l = lb.resolve(local), t = tb.resolve(target);
            if (!kindsCompatible(l, t)) return false;
            switch (l.kind()) {
                case BtfKind.UNKN, BtfKind.STRUCT, BtfKind.UNION, BtfKind.ENUM, BtfKind.ENUM64, BtfKind.FWD, BtfKind.FLOAT -> {
                    return true;
                }
                case BtfKind.INT -> { return lb.intEncoding(l.id()).bitOffset() == 0 && tb.intEncoding(t.id()).bitOffset() == 0; }
                case BtfKind.PTR -> {
                    local = l.type();
                    target = t.type();
                }
                case BtfKind.ARRAY -> {
                    local = lb.array(l.id()).elemType();
                    target = tb.array(t.id()).elemType();
                }
                case BtfKind.FUNC_PROTO -> {
                    List<Integer> lp = lb.params(l.id()), tp = tb.params(t.id());
                    if (lp.size() != tp.size()) return false;
                    for (int i = 0; i < lp.size(); i++) {
                        if (!typesCompatible(lb, lp.get(i), tb, tp.get(i))) return false;
                    }
                    local = l.type();
                    target = t.type();
                }
                default -> { return false; }
            }
        }
        throw new CoreException("types nested too deeply");
    }

    private static boolean namesMatch(BtfType l, BtfType t) {
        if (l.name().isEmpty() || t.name().isEmpty()) return true;
        return essential(l.name()).equals(essential(t.name()));
    }
}
