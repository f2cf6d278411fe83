package io.packetlens.ebpf.core;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;

import java.util.ArrayList;
import java.util.List;

/**
 * An access specification ({@code struct bpf_core_spec}) in one BTF: the root type, the accessors that lead from it
 * to the field (the first is an index on the root as on an array, then struct/union members by name and array
 * elements by index), and the field's bit offset from the start of the root. Parsed from a relocation's access
 * string in the object's own BTF, and found again, by member names, in a target BTF.
 */
final class CoreSpec {
    /**
     * One step: in type {@code typeId} (a struct or union for a member, an array for an element, the root for the
     * first), index {@code idx}; {@code name} is the member's or enumerator's name, null for array indices.
     */
    record Access(int typeId, int idx, String name) {}

    final Btf btf;
    final int rootTypeId;
    final CoreKind kind;
    final List<Access> access = new ArrayList<>();
    long bitOffset;

    CoreSpec(Btf btf, int rootTypeId, CoreKind kind) {
        this.btf = btf;
        this.rootTypeId = rootTypeId;
        this.kind = kind;
    }

    /** {@code bpf_core_parse_spec}: the local specification of a relocation. */
    static CoreSpec parse(Btf btf, int typeId, String accessString, CoreKind kind) {
        if (accessString.isEmpty()) throw new CoreException("empty access string");
        String[] parts = accessString.split(":");
        int[] raw = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                raw[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new CoreException("access string '" + accessString + "' is not colon-separated indices");
            }
            if (raw[i] < 0) throw new CoreException("access string '" + accessString + "' has a negative index");
        }
        CoreSpec spec = new CoreSpec(btf, typeId, kind);
        if (kind.typeBased()) {
            if (raw.length != 1 || raw[0] != 0) throw new CoreException("type relocation with access string '" + accessString + "'");
            return spec;
        }
        BtfType root = btf.resolve(typeId);
        if (kind.enumBased()) {
            if (raw.length != 1 || !isEnum(root)) throw new CoreException("enum relocation on a non-enum or with access '" + accessString + "'");
            var values = btf.enumerators(root.id());
            if (raw[0] >= values.size()) throw new CoreException("enumerator index " + raw[0] + " out of range");
            spec.access.add(new Access(root.id(), raw[0], values.get(raw[0]).name()));
            return spec;
        }
        long size = btf.sizeOf(typeId);
        spec.access.add(new Access(typeId, raw[0], null));
        spec.bitOffset = raw[0] * size * 8;
        int id = typeId;
        for (int i = 1; i < raw.length; i++) {
            BtfType t = btf.resolve(id);
            if (isComposite(t)) {
                var members = btf.members(t.id());
                if (raw[i] >= members.size()) throw new CoreException("member index " + raw[i] + " out of range in " + describe(btf, t.id()));
                Btf.Member m = members.get(raw[i]);
                spec.bitOffset += m.bitOffset();
                // anonymous members are walked through but are no accessor: the target finds its own path to the name
                if (!m.name().isEmpty()) spec.access.add(new Access(t.id(), raw[i], m.name()));
                id = m.type();
            } else if (t.kind() == BtfKind.ARRAY) {
                Btf.ArrayInfo a = btf.array(t.id());
                BtfType elem = btf.resolve(a.elemType());
                boolean flex = isFlexArray(btf, spec.access.getLast(), a);
                if (!flex && raw[i] >= a.nelems()) throw new CoreException("array index " + raw[i] + " out of range in " + describe(btf, t.id()));
                spec.access.add(new Access(t.id(), raw[i], null));
                spec.bitOffset += raw[i] * btf.sizeOf(elem.id()) * 8;
                id = elem.id();
            } else {
                throw new CoreException("access string '" + accessString + "' goes into " + describe(btf, t.id())
                        + ", which is neither a struct, a union nor an array");
            }
        }
        return spec;
    }

    /** {@code bpf_core_spec_match}: the same access in {@code target}, starting from candidate {@code targetId}; null if it does not match. */
    static CoreSpec match(CoreSpec local, Btf target, int targetId) {
        CoreSpec t = new CoreSpec(target, targetId, local.kind);
        if (local.kind.typeBased()) {
            if (local.kind == CoreKind.TYPE_MATCHES) return CoreTypes.typesMatch(local.btf, local.rootTypeId, target, targetId) ? t : null;
            return CoreTypes.typesCompatible(local.btf, local.rootTypeId, target, targetId) ? t : null;
        }
        if (local.kind.enumBased()) {
            BtfType e = target.resolve(targetId);
            if (!isEnum(e)) return null;
            String want = CoreTypes.essential(local.access.getFirst().name());
            var values = target.enumerators(e.id());
            for (int i = 0; i < values.size(); i++) {
                if (CoreTypes.essential(values.get(i).name()).equals(want)) {
                    t.access.add(new Access(e.id(), i, values.get(i).name()));
                    return t;
                }
            }
            return null;
        }
        Access first = local.access.getFirst();
        t.access.add(new Access(targetId, first.idx(), null));
        t.bitOffset = first.idx() * target.sizeOf(targetId) * 8;
        int id = targetId;
        for (int i = 1; i < local.access.size(); i++) {
            Access la = local.access.get(i);
            if (la.name() != null) {
                Btf.Member lm = local.btf.members(la.typeId()).get(la.idx());
                int next = matchMember(target, id, la.name(), t);
                if (next < 0) return null;
                if (!CoreTypes.fieldsCompatible(local.btf, lm.type(), target, next)) return null;
                id = next;
            } else {
                BtfType arr = target.resolve(id);
                if (arr.kind() != BtfKind.ARRAY) return null;
                Btf.ArrayInfo a = target.array(arr.id());
                boolean flex = isFlexArray(target, t.access.getLast(), a);
                if (!flex && la.idx() >= a.nelems()) return null;
                BtfType elem = target.resolve(a.elemType());
                t.access.add(new Access(arr.id(), la.idx(), null));
                t.bitOffset += la.idx() * target.sizeOf(elem.id()) * 8;
                id = elem.id();
            }
        }
        return t;
    }

    /**
     * {@code bpf_core_match_member}: finds member {@code name} of the struct or union {@code id} (looking inside
     * anonymous members), adds its accessor and bit offset to {@code spec}, and returns its type; -1 if absent.
     */
    private static int matchMember(Btf btf, int id, String name, CoreSpec spec) {
        BtfType t = btf.resolve(id);
        if (!isComposite(t)) return -1;
        var members = btf.members(t.id());
        for (int i = 0; i < members.size(); i++) {
            Btf.Member m = members.get(i);
            if (m.name().isEmpty()) {
                BtfType inner = btf.resolve(m.type());
                if (!isComposite(inner)) continue;
                int before = spec.access.size();
                long offset = spec.bitOffset;
                spec.bitOffset += m.bitOffset();
                int found = matchMember(btf, inner.id(), name, spec);
                if (found >= 0) return found;
                spec.bitOffset = offset;
                while (spec.access.size() > before) spec.access.removeLast();
            } else if (m.name().equals(name)) {
                spec.bitOffset += m.bitOffset();
                spec.access.add(new Access(t.id(), i, name));
                return m.type();
            }
        }
        return -1;
    }

    /** A flexible array member: length 0 and the last member of the struct that holds it. */
    private static boolean isFlexArray(Btf btf, Access holder, Btf.ArrayInfo a) {
        if (holder.name() == null || a.nelems() > 0) return false;
        return holder.idx() == btf.type(holder.typeId()).vlen() - 1;
    }

    /** The last accessor: the field (member or element) the relocation is about. */
    Access last() {
        return access.getLast();
    }

    static boolean isComposite(BtfType t) {
        return t.kind() == BtfKind.STRUCT || t.kind() == BtfKind.UNION;
    }

    static boolean isEnum(BtfType t) {
        return t.kind() == BtfKind.ENUM || t.kind() == BtfKind.ENUM64;
    }

    static String describe(Btf btf, int id) {
        BtfType t = btf.type(id);
        String kind = switch (t.kind()) {
            case BtfKind.STRUCT -> "struct"; case BtfKind.UNION -> "union"; case BtfKind.ENUM, BtfKind.ENUM64 -> "enum";
            case BtfKind.ARRAY -> "array"; case BtfKind.INT -> "int"; case BtfKind.PTR -> "pointer"; case BtfKind.TYPEDEF -> "typedef";
            default -> "kind " + t.kind();
        };
        return "[" + id + "] " + kind + (t.name().isEmpty() ? "" : " " + t.name());
    }

    /** The accessors as libbpf prints them: the root, then .member or [index]. */
    String path() {
        StringBuilder b = new StringBuilder(describe(btf, rootTypeId));
        if (kind.enumBased()) return b.append("::").append(access.getFirst().name()).toString();
        for (int i = 0; i < access.size(); i++) {
            Access a = access.get(i);
            if (i == 0) b.append(" ").append(a.idx());
            else if (a.name() != null) b.append(".").append(a.name());
            else b.append("[").append(a.idx()).append("]");
        }
        return b.append(" @ bit ").append(bitOffset).toString();
    }
}
