package io.packetlens.ebpf.core;

import io.packetlens.ebpf.asm.Insn;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfExt;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a program's CO-RE relocations against a target BTF (the running kernel's, or one given for a kernel
 * without /sys/kernel/btf/vmlinux), as libbpf's bpf_core_calc_relo_insn and bpf_core_patch_insn do: for each
 * relocation, the local access is parsed, every target type of the same essential name and kind is tried, all
 * that match must agree, and the instruction's immediate, offset or 64-bit constant is rewritten (its memory access
 * size too, where a field changed size and that is safe). A relocation nothing matches is resolved as libbpf
 * resolves it: existence kinds become 0, others poison their instruction.
 */
public final class CoreRelocator {
    /** The helper id of a poisoned instruction: "invalid func unknown#195896080" in the verifier's log. */
    public static final int POISON = 0xbad2310;

    private final Btf local;
    private final Btf target;
    private final Map<String, List<Integer>> byName = new HashMap<>();

    /** A relocator from {@code local} (the object's BTF) to {@code target}; indexes the target's named types once. */
    public CoreRelocator(Btf local, Btf target) {
        this.local = local;
        this.target = target;
        for (BtfType t : target.types()) {
            if (!t.name().isEmpty()) byName.computeIfAbsent(CoreTypes.essential(t.name()), k -> new ArrayList<>(1)).add(t.id());
        }
    }

    /**
     * libbpf's bpf_core_types_are_compat, as the loader checks a kfunc's or typed ksym's declared type against the
     * kernel's: same kinds through typedefs and qualifiers, compatible pointees, parameters and return types.
     */
    public static boolean compatible(Btf local, int localId, Btf target, int targetId) {
        return CoreTypes.typesCompatible(local, localId, target, targetId);
    }

    /**
     * What one relocation did, for the debug log and tests: {@code poisoned} when no target matched and the
     * instruction was replaced, else the value the compiler wrote ({@code from}) and the one now in its place.
     */
    public record Result(int insn, CoreKind kind, String local, String target, long from, long to, boolean poisoned) {
        @Override
        public String toString() {
            return "insn " + insn + " " + kind.label() + " " + local + (poisoned ? ": no match, poisoned"
                    : ": " + from + " -> " + to + (target == null ? " (no match)" : " via " + target));
        }
    }

    /** The result of a relocation's calculation before it is written (libbpf's struct bpf_core_relo_res). */
    private record Res(long orig, long value, boolean poison, boolean validate, int origSize, int newSize, boolean badResize) {}

    /**
     * Relocates {@code insns} (a linked program) in place; each relocation's {@code insn} is an index into it.
     *
     * @throws CoreException naming the program, the instruction and the access when a relocation cannot be applied
     */
    public List<Result> apply(String program, byte[] insns, List<BtfExt.CoreRelo> relos) {
        List<Result> done = new ArrayList<>(relos.size());
        for (int r = 0; r < relos.size(); r++) {
            BtfExt.CoreRelo relo = relos.get(r);
            CoreKind kind = CoreKind.of(relo.kind());
            String where = "program " + program + ": CO-RE relocation #" + r + " (" + kind.label() + ") at instruction " + relo.insn();
            try {
                done.add(applyOne(insns, relo, kind));
            } catch (CoreException e) {
                throw new CoreException(where + ", access '" + relo.access() + "' on " + CoreSpec.describe(local, relo.typeId())
                        + ": " + e.getMessage());
            }
        }
        return done;
    }

    private Result applyOne(byte[] insns, BtfExt.CoreRelo relo, CoreKind kind) {
        if (relo.insn() < 0 || relo.insn() >= insns.length / Insn.SIZE) throw new CoreException("instruction out of range");
        CoreSpec localSpec = CoreSpec.parse(local, relo.typeId(), relo.access(), kind);
        if (kind == CoreKind.TYPE_ID_LOCAL) {
            Res res = new Res(relo.typeId(), relo.typeId(), false, true, 0, 0, false);
            patch(insns, relo.insn(), res);
            return new Result(relo.insn(), kind, localSpec.path(), null, res.orig, res.value, false);
        }
        BtfType root = local.type(relo.typeId());
        if (root.name().isEmpty()) throw new CoreException("relocations against anonymous types are not supported (as in libbpf)");
        CoreSpec matched = null;
        Res res = null;
        for (int id : byName.getOrDefault(CoreTypes.essential(root.name()), List.of())) {
            BtfType cand = target.type(id);
            if (!CoreTypes.kindsCompatible(cand, root)) continue;
            CoreSpec spec = CoreSpec.match(localSpec, target, id);
            if (spec == null) continue;
            Res r = calc(localSpec, spec);
            if (matched == null) {
                matched = spec;
                res = r;
            } else if (spec.bitOffset != matched.bitOffset) {
                throw new CoreException("field offset ambiguity: " + matched.path() + " and " + spec.path());
            } else if (r.poison != res.poison || r.value != res.value) {
                throw new CoreException("relocation decision ambiguity: " + matched.path() + " gives " + res.value
                        + ", " + spec.path() + " gives " + r.value);
            }
        }
        if (matched == null) res = calc(localSpec, null);
        patch(insns, relo.insn(), res);
        return new Result(relo.insn(), kind, localSpec.path(), matched == null ? null : matched.path(), res.orig, res.value, res.poison);
    }

    /** bpf_core_calc_relo: the compiler's value (from the local spec) and the target's; target null when nothing matched. */
    private static Res calc(CoreSpec localSpec, CoreSpec targetSpec) {
        CoreKind kind = localSpec.kind;
        if (kind.fieldBased()) {
            if (kind == CoreKind.FIELD_EXISTS) return new Res(1, targetSpec == null ? 0 : 1, false, true, 0, 0, false);
            Field l = Field.of(localSpec);
            if (targetSpec == null) return new Res(l.value(kind), 0, true, l.validate(kind), 0, 0, false);
            Field t = Field.of(targetSpec);
            boolean badResize = false;
            int origSize = kind == CoreKind.FIELD_BYTE_OFFSET && !l.bitfield ? l.byteSize : 0;
            int newSize = kind == CoreKind.FIELD_BYTE_OFFSET && !t.bitfield ? t.byteSize : 0;
            if (origSize != newSize) {
                // only pointers (a 32-bit kernel's are read zero-extended) and unsigned integers may change size
                BtfType ot = localSpec.btf.resolve(l.typeId), nt = targetSpec.btf.resolve(t.typeId);
                boolean ptrs = ot.kind() == BtfKind.PTR && nt.kind() == BtfKind.PTR;
                boolean unsigned = ot.kind() == BtfKind.INT && nt.kind() == BtfKind.INT
                        && !localSpec.btf.intEncoding(ot.id()).signed() && !targetSpec.btf.intEncoding(nt.id()).signed();
                badResize = !ptrs && !unsigned;
            }
            return new Res(l.value(kind), t.value(kind), false, l.validate(kind), origSize, newSize, badResize);
        }
        if (kind.typeBased()) {
            long orig = typeValue(localSpec), value = targetSpec == null ? 0 : typeValue(targetSpec);
            // a type id embedded in an instruction may change when objects are linked: not worth checking
            return new Res(orig, value, false, kind != CoreKind.TYPE_ID_TARGET, 0, 0, false);
        }
        long orig = enumValue(localSpec);
        if (kind == CoreKind.ENUMVAL_EXISTS) return new Res(1, targetSpec == null ? 0 : 1, false, true, 0, 0, false);
        if (targetSpec == null) return new Res(orig, 0, true, true, 0, 0, false);
        return new Res(orig, enumValue(targetSpec), false, true, 0, 0, false);
    }

    private static long typeValue(CoreSpec s) {
        return switch (s.kind) {
            case TYPE_ID_TARGET -> s.rootTypeId;
            case TYPE_EXISTS, TYPE_MATCHES -> 1;
            case TYPE_SIZE -> s.btf.sizeOf(s.rootTypeId);
            default -> throw new CoreException("unexpected type relocation " + s.kind);
        };
    }

    private static long enumValue(CoreSpec s) {
        if (s.kind == CoreKind.ENUMVAL_EXISTS) return 1;
        CoreSpec.Access a = s.access.getFirst();
        return s.btf.enumerators(a.typeId()).get(a.idx()).value();
    }

    /** The field a spec ends on: its byte offset and size as a load must read it, and its bitfield position. */
    private record Field(long bitOff, int bitSize, int byteOff, int byteSize, boolean bitfield, int typeId, boolean signed, boolean array) {
        static Field of(CoreSpec s) {
            CoreSpec.Access acc = s.last();
            Btf btf = s.btf;
            if (acc.name() == null) {
                // an array element (or the root itself, as ptr[idx])
                BtfType holder = btf.resolve(acc.typeId());
                int elem = holder.kind() == BtfKind.ARRAY ? btf.array(holder.id()).elemType() : acc.typeId();
                int size = (int) btf.sizeOf(elem);
                return new Field(s.bitOffset, size * 8, (int) (s.bitOffset / 8), size, false, btf.resolve(elem).id(), false, true);
            }
            Btf.Member m = btf.members(acc.typeId()).get(acc.idx());
            BtfType mt = btf.resolve(m.type());
            boolean signed = CoreSpec.isEnum(mt) ? mt.kindFlag() : mt.kind() == BtfKind.INT && btf.intEncoding(mt.id()).signed();
            long bitOff = s.bitOffset;
            int bitSize = m.bitfieldSize();
            if (bitSize > 0) {
                int byteSize = mt.size();
                long byteOff = bitOff / 8 / byteSize * byteSize;
                while (bitOff + bitSize - byteOff * 8 > byteSize * 8L) {
                    if (byteSize >= 8) throw new CoreException("bitfield " + acc.name() + " cannot be read with a 64-bit load");
                    byteSize *= 2;
                    byteOff = bitOff / 8 / byteSize * byteSize;
                }
                return new Field(bitOff, bitSize, (int) byteOff, byteSize, true, mt.id(), signed, false);
            }
            int byteSize = (int) btf.sizeOf(m.type());
            return new Field(bitOff, byteSize * 8, (int) (bitOff / 8), byteSize, false, mt.id(), signed, false);
        }

        long value(CoreKind kind) {
            if (array && kind != CoreKind.FIELD_BYTE_OFFSET && kind != CoreKind.FIELD_BYTE_SIZE) {
                throw new CoreException(kind.label() + " of an array element is not a field relocation libbpf applies");
            }
            return switch (kind) {
                case FIELD_BYTE_OFFSET -> byteOff;
                case FIELD_BYTE_SIZE -> byteSize;
                case FIELD_SIGNED -> signed ? 1 : 0;
                case FIELD_LSHIFT_U64 -> 64 - (bitOff + bitSize - byteOff * 8L); // little-endian
                case FIELD_RSHIFT_U64 -> 64 - bitSize;
                default -> throw new CoreException("unexpected field relocation " + kind);
            };
        }

        /** A bitfield's offset, size and shifts are the compiler's guess, so only the signedness is checked. */
        boolean validate(CoreKind kind) {
            return kind == CoreKind.FIELD_SIGNED || kind == CoreKind.FIELD_RSHIFT_U64 || !bitfield;
        }
    }

    /** bpf_core_patch_insn. */
    private static void patch(byte[] insns, int i, Res res) {
        int op = Insn.code(insns, i);
        if (res.poison) {
            if (op == Insn.LD_IMM64) poison(insns, i + 1);
            poison(insns, i);
            return;
        }
        int cls = op & 0x07;
        switch (cls) {
            case 0x04, 0x07 -> { // BPF_ALU, BPF_ALU64
                if ((op & 0x08) != 0) throw new CoreException("ALU instruction with a register source cannot be relocated");
                long imm = Insn.imm(insns, i);
                if (res.validate && imm != res.orig) throw new CoreException("instruction holds " + imm + ", the compiler's value was " + res.orig);
                Insn.setImm(insns, i, (int) res.value);
            }
            case 0x01, 0x02, 0x03 -> { // BPF_LDX, BPF_ST, BPF_STX
                int off = Insn.off(insns, i);
                if (res.validate && off != res.orig) throw new CoreException("instruction offset " + off + ", the compiler's value was " + res.orig);
                if (res.value > Short.MAX_VALUE) throw new CoreException("offset " + res.value + " too large for a load or store");
                if (res.badResize) {
                    // a signed or non-integer field changed size: a resized access would read the wrong value
                    poison(insns, i);
                    return;
                }
                Insn.setOff(insns, i, (int) res.value);
                if (res.newSize != res.origSize) {
                    int sizeBits = op & 0x18;
                    int bytes = switch (sizeBits) { case 0x00 -> 4; case 0x08 -> 2; case 0x10 -> 1; default -> 8; };
                    if (bytes != res.origSize) throw new CoreException("access of " + bytes + " bytes to a field of " + res.origSize);
                    int size = switch (res.newSize) {
                        case 1 -> 0x10; case 2 -> 0x08; case 4 -> 0x00; case 8 -> 0x18;
                        default -> throw new CoreException("field of " + res.newSize + " bytes cannot be loaded");
                    };
                    Insn.setCode(insns, i, (op & 0xe0) | size | cls);
                }
            }
            case 0x00 -> { // BPF_LD: only ld_imm64 of a plain constant
                if (op != Insn.LD_IMM64 || Insn.src(insns, i) != 0 || Insn.off(insns, i) != 0 || Insn.code(insns, i + 1) != 0) {
                    throw new CoreException("ld_imm64 of an unexpected form");
                }
                long imm = Integer.toUnsignedLong(Insn.imm(insns, i)) | (long) Insn.imm(insns, i + 1) << 32;
                if (res.validate && imm != res.orig) throw new CoreException("ld_imm64 holds " + imm + ", the compiler's value was " + res.orig);
                Insn.setImm(insns, i, (int) res.value);
                Insn.setImm(insns, i + 1, (int) (res.value >>> 32));
            }
            default -> throw new CoreException(String.format("instruction of class 0x%x (code 0x%x) cannot be relocated", cls, op));
        }
    }

    /** Replaces the instruction with a call to a helper that does not exist: the verifier rejects it only if it is reachable. */
    private static void poison(byte[] insns, int i) {
        Insn.setCode(insns, i, 0x85); // BPF_JMP | BPF_CALL
        Insn.setRegs(insns, i, 0, 0);
        Insn.setOff(insns, i, 0);
        Insn.setImm(insns, i, POISON);
    }
}
