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

    /**
     * libbpf's __bpf_core_types_match, for bpf_core_type_matches(): stricter than compatibility. Names match (without
     * flavours), integers have the same size and signedness, arrays the same length, enums have every local
     * enumerator, structs and unions every local member by name with a matching type (behind a pointer a struct
     * also matches a forward declaration of the same kind), function prototypes matching parameters and return.
     */
    static boolean typesMatch(Btf lb, int local, Btf tb, int target) {
        return match(lb, local, tb, target, false, 32);
    }

    private static boolean match(Btf lb, int local, Btf tb, int target, boolean behindPtr, int level) {
        if (level <= 0) throw new CoreException("types nested too deeply");
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            BtfType l = lb.resolve(local), t = tb.resolve(target);
            if (!essential(l.name()).equals(essential(t.name()))) return false;
            int lk = l.kind(), tk = t.kind();
            switch (lk) {
                case BtfKind.UNKN -> { return tk == BtfKind.UNKN; }
                case BtfKind.FWD -> {
                    boolean union = l.kindFlag();
                    if (behindPtr && tk != BtfKind.FWD) return tk == BtfKind.STRUCT && !union || tk == BtfKind.UNION && union;
                    return tk == BtfKind.FWD && union == t.kindFlag();
                }
                case BtfKind.ENUM, BtfKind.ENUM64 -> {
                    if (!CoreSpec.isEnum(t) || l.size() != t.size()) return false;
                    var tv = tb.enumerators(t.id());
                    for (var e : lb.enumerators(l.id())) {
                        if (tv.stream().noneMatch(x -> essential(x.name()).equals(essential(e.name())))) return false;
                    }
                    return true;
                }
                case BtfKind.STRUCT, BtfKind.UNION -> {
                    if (behindPtr) {
                        if (lk == tk) return true;
                        return tk == BtfKind.FWD && (lk == BtfKind.UNION) == t.kindFlag();
                    }
                    if (lk != tk) return false;
                    var tm = tb.members(t.id());
                    for (Btf.Member m : lb.members(l.id())) {
                        boolean found = false;
                        for (Btf.Member x : tm) {
                            if (essential(x.name()).equals(essential(m.name())) && match(lb, m.type(), tb, x.type(), false, level - 1)) {
                                found = true;
                                break;
                            }
                        }
                        if (!found) return false;
                    }
                    return true;
                }
                case BtfKind.INT -> {
                    return tk == BtfKind.INT && l.size() == t.size()
                            && lb.intEncoding(l.id()).signed() == tb.intEncoding(t.id()).signed();
                }
                case BtfKind.PTR -> {
                    if (tk != BtfKind.PTR) return false;
                    behindPtr = true;
                    local = l.type();
                    target = t.type();
                }
                case BtfKind.ARRAY -> {
                    if (tk != BtfKind.ARRAY) return false;
                    Btf.ArrayInfo la = lb.array(l.id()), ta = tb.array(t.id());
                    if (la.nelems() != ta.nelems()) return false;
                    local = la.elemType();
                    target = ta.elemType();
                }
                case BtfKind.FUNC_PROTO -> {
                    if (tk != BtfKind.FUNC_PROTO) return false;
                    List<Integer> lp = lb.params(l.id()), tp = tb.params(t.id());
                    if (lp.size() != tp.size()) return false;
                    for (int i = 0; i < lp.size(); i++) if (!match(lb, lp.get(i), tb, tp.get(i), behindPtr, level - 1)) return false;
                    local = l.type();
                    target = t.type();
                }
                default -> { return false; }
            }
        }
        throw new CoreException("types nested too deeply");
    }
}
