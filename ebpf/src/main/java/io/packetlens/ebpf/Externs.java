package io.packetlens.ebpf;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import io.packetlens.ebpf.core.CoreRelocator;
import io.packetlens.ebpf.elf.Symbol;
import io.packetlens.ebpf.features.Features;
import io.packetlens.ebpf.features.KernelConfig;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.ebpf.tracing.KernelBtf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The externs of an object, as libbpf's bpf_object__collect_externs and bpf_object__resolve_externs handle them:
 * read from the BTF DATASECs {@code .kconfig} and {@code .ksyms} (the BTF made loadable on the way: the kernel
 * refuses extern VARs and FUNCs, so they become allocated ints and global functions, and the sections get their
 * sizes and offsets), the .kconfig map's layout, and at load the values: kconfig from the kernel's configuration,
 * ksyms and kfuncs from its BTF and /proc/kallsyms.
 */
final class Externs {
    static final String KCONFIG = ".kconfig", KSYMS = ".ksyms";
    /** libbpf's enum libbpf_tristate: TRI_NO, TRI_YES, TRI_MODULE. */
    private static final int TRI_NO = 0, TRI_YES = 1, TRI_MODULE = 2;
    private static final int BPF_FUNC_GET_ATTACH_COOKIE = 174;

    /** How a kconfig extern's value is stored (libbpf's kcfg_type). */
    private enum KcfgType { BOOL, CHAR, TRISTATE, INT, CHAR_ARRAY }

    private Externs() {}

    /** What {@link #read} found: the externs by name, and the .kconfig map if there are kconfig externs. */
    record Found(Map<String, Extern> externs, MapSpec kconfigMap) {}

    /** Reads the externs of an object whose undefined symbols are {@code symbols}, and makes its BTF loadable. */
    static Found read(String object, Btf btf, List<Symbol> symbols) {
        Map<String, Extern> out = new LinkedHashMap<>();
        if (btf == null) return new Found(out, null);
        Map<String, Boolean> weak = new HashMap<>();
        for (Symbol s : symbols) {
            if (s.sectionIndex() == 0 && !s.name().isEmpty()) weak.put(s.name(), s.bind() == Symbol.STB_WEAK);
        }
        record Draft(String name, Extern.Kind kind, int typeId, int size, int align, Btf.SecInfo info, int varId) {}
        List<Draft> kconfig = new ArrayList<>(), ksyms = new ArrayList<>();
        BtfType kds = btf.findDatasec(KCONFIG).orElse(null), sds = btf.findDatasec(KSYMS).orElse(null);
        if (kds != null) {
            for (Btf.SecInfo info : btf.datasec(kds.id())) {
                BtfType v = btf.type(info.varType());
                if (v.kind() != BtfKind.VAR) throw new BpfException("object " + object + ": " + KCONFIG + " holds " + v.name() + ", which is not a variable");
                KcfgType kt = kcfgType(btf, v.type());
                if (kt == null) {
                    throw new BpfException("object " + object + ": kconfig extern " + v.name() + " has a type libbpf cannot fill"
                            + " (bool, char, enum libbpf_tristate, an integer of 1, 2, 4 or 8 bytes, or a char array)");
                }
                int size = (int) btf.sizeOf(v.type());
                int align = kt == KcfgType.INT ? size : kt == KcfgType.TRISTATE ? 4 : 1;
                kconfig.add(new Draft(v.name(), Extern.Kind.KCONFIG, v.type(), size, align, info, v.id()));
            }
        }
        if (sds != null) {
            for (Btf.SecInfo info : btf.datasec(sds.id())) {
                BtfType v = btf.type(info.varType());
                if (v.kind() == BtfKind.FUNC) {
                    ksyms.add(new Draft(v.name(), Extern.Kind.KFUNC, v.type(), 0, 0, info, v.id()));
                } else if (v.kind() == BtfKind.VAR) {
                    boolean untyped = btf.resolve(v.type()).kind() == BtfKind.UNKN;
                    ksyms.add(new Draft(v.name(), untyped ? Extern.Kind.KSYM_UNTYPED : Extern.Kind.KSYM_TYPED, v.type(), 0, 0, info, v.id()));
                } else {
                    throw new BpfException("object " + object + ": " + KSYMS + " holds " + v.name() + ", neither a variable nor a function");
                }
            }
        }
        // libbpf's order (cmp_externs): kconfig first, by alignment (largest first), then size, then name; ksyms by name
        kconfig.sort(Comparator.comparingInt((Draft d) -> -d.align()).thenComparingInt(Draft::size).thenComparing(Draft::name));
        ksyms.sort(Comparator.comparing(Draft::name));
        int off = 0, index = 0;
        for (Draft d : kconfig) {
            off = (off + d.align() - 1) / d.align() * d.align();
            out.put(d.name(), new Extern(d.name(), d.kind(), weak.getOrDefault(d.name(), false), d.typeId(), index++, off, d.size()));
            btf.setSecInfoOffset(d.info(), off);
            btf.setVarLinkage(d.varId(), 1);
            off += d.size();
        }
        MapSpec kconfigMap = null;
        if (kds != null) {
            btf.setDatasecSize(kds, Math.max(off, 1));
            btf.sortDatasec(kds);
            kconfigMap = new MapSpec(KCONFIG, MapType.ARRAY, 4, Math.max(off, 1), 1)
                    .flags(MapSpec.F_RDONLY_PROG).btfTypes(0, kds.id()).contents(new byte[Math.max(off, 1)])
                    .freeze(true).dataSection(KCONFIG);
        }
        for (Draft d : ksyms) {
            out.put(d.name(), new Extern(d.name(), d.kind(), weak.getOrDefault(d.name(), false), d.typeId(), index++, 0, 0));
        }
        if (sds != null) sanitizeKsyms(btf, sds);
        return new Found(out, kconfigMap);
    }

    /**
     * What the kernel's BTF check refuses in .ksyms, changed in place as libbpf changes it: extern VARs become
     * allocated ints, extern FUNCs global ones (with named parameters) listed through such an int, each entry 4
     * bytes at its own offset.
     */
    private static void sanitizeKsyms(Btf btf, BtfType sds) {
        int intId = -1;
        for (BtfType t : btf.types()) {
            if (t.kind() == BtfKind.INT && t.size() == 4) {
                intId = t.id();
                if (t.name().equals("int")) break;
            }
        }
        int dummyVar = -1;
        for (Btf.SecInfo info : btf.datasec(sds.id())) if (btf.type(info.varType()).kind() == BtfKind.VAR) dummyVar = info.varType();
        if (dummyVar < 0) {
            // no ksym variable to list the functions through: any allocated 4-byte variable of the object will do
            for (BtfType t : btf.types()) {
                if (t.kind() == BtfKind.VAR && btf.varLinkage(t.id()) != 2 && btf.sizeOf(t.type()) == 4) {
                    dummyVar = t.id();
                    break;
                }
            }
        }
        if (intId < 0 || dummyVar < 0) return; // the kernel will refuse the BTF; the loader then loads without it, and says so
        int off = 0;
        for (Btf.SecInfo info : btf.datasec(sds.id())) {
            BtfType v = btf.type(info.varType());
            if (v.kind() == BtfKind.VAR) {
                btf.setVarLinkage(v.id(), 1);
                btf.setTypeWord(v.id(), intId);
                btf.setSecInfo(info, v.id(), off, 4);
            } else {
                btf.setFuncLinkage(v.id(), 1);
                int proto = v.type();
                int named = btf.stringOffset(v.name());
                for (int i = 0; i < btf.type(proto).vlen(); i++) {
                    if (btf.paramNameOffset(proto, i) == 0 && btf.params(proto).get(i) != 0) btf.setParamNameOffset(proto, i, named);
                }
                btf.setSecInfo(info, dummyVar, off, 4);
            }
            off += 4;
        }
        btf.setDatasecSize(sds, Math.max(off, 4));
    }

    /** libbpf's find_kcfg_type. */
    private static KcfgType kcfgType(Btf btf, int typeId) {
        BtfType t = btf.resolve(typeId);
        switch (t.kind()) {
            case BtfKind.INT -> {
                Btf.IntEncoding e = btf.intEncoding(t.id());
                if (t.size() == 1 && (e.encoding() & Btf.IntEncoding.BOOL) != 0) return KcfgType.BOOL;
                if (t.size() == 1 && (e.encoding() & Btf.IntEncoding.CHAR) != 0) return KcfgType.CHAR;
                return t.size() == 1 || t.size() == 2 || t.size() == 4 || t.size() == 8 ? KcfgType.INT : null;
            }
            case BtfKind.ENUM -> {
                return t.size() == 4 && t.name().equals("libbpf_tristate") ? KcfgType.TRISTATE : null;
            }
            case BtfKind.ARRAY -> {
                BtfType elem = btf.resolve(btf.array(t.id()).elemType());
                return elem.kind() == BtfKind.INT && elem.size() == 1 ? KcfgType.CHAR_ARRAY : null;
            }
            default -> {
                return null;
            }
        }
    }

    /** The .kconfig map's contents for this kernel: each kconfig extern's value at its offset. */
    static byte[] kconfigContents(String object, Btf btf, Map<String, Extern> externs, int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        KernelConfig config = null;
        for (Extern e : externs.values()) {
            if (e.kind() != Extern.Kind.KCONFIG) continue;
            String what = "object " + object + ": kconfig extern " + e.name();
            String value;
            if (e.name().equals("LINUX_KERNEL_VERSION")) {
                KernelVersion v = KernelVersion.current();
                value = Integer.toString((v.major() << 16) + (v.minor() << 8) + Math.min(v.patch(), 255));
            } else if (e.name().equals("LINUX_HAS_SYSCALL_WRAPPER")) {
                value = "1";
            } else if (e.name().equals("LINUX_HAS_BPF_COOKIE")) {
                // as libbpf: whether bpf_get_attach_cookie (helper 174) exists, probed by loading a tracepoint program
                value = Features.hasHelper(ProgramType.TRACEPOINT, BPF_FUNC_GET_ATTACH_COOKIE) ? "1" : "0";
            } else if (e.name().startsWith("CONFIG_")) {
                if (config == null) config = KernelConfig.current();
                value = config.get(e.name()).orElse(null);
            } else {
                throw new BpfException(what + ": only CONFIG_* and LINUX_KERNEL_VERSION, LINUX_HAS_SYSCALL_WRAPPER,"
                        + " LINUX_HAS_BPF_COOKIE can be kconfig externs");
            }
            if (value == null) {
                if (!e.weak()) throw new BpfException.NotFoundException(what + " is not in the kernel configuration (" + config.source()
                        + "); declare it __weak to read it as zero where it is missing");
                continue; // weak and missing: zero
            }
            write(what, btf, e, value, b);
        }
        return b.array();
    }

    private static void write(String what, Btf btf, Extern e, String value, ByteBuffer b) {
        KcfgType kt = kcfgType(btf, e.typeId());
        int o = e.offset();
        boolean tri = value.equals("y") || value.equals("n") || value.equals("m");
        switch (kt) {
            case BOOL -> {
                // y/n from the configuration; 1/0 for the LINUX_HAS_* values, which libbpf's headers declare _Bool
                boolean num = value.equals("1") || value.equals("0");
                if (!(tri || num) || value.equals("m")) throw new BpfException(what + " is bool but the kernel has " + value);
                b.put(o, (byte) (value.equals("y") || value.equals("1") ? 1 : 0));
            }
            case TRISTATE -> {
                if (!tri) throw new BpfException(what + " is a tristate but the kernel has " + value);
                b.putInt(o, value.equals("y") ? TRI_YES : value.equals("m") ? TRI_MODULE : TRI_NO);
            }
            case CHAR -> {
                if (!tri) throw new BpfException(what + " is a char but the kernel has " + value);
                b.put(o, (byte) value.charAt(0));
            }
            case CHAR_ARRAY -> {
                if (!(value.length() >= 2 && value.startsWith("\"") && value.endsWith("\""))) {
                    throw new BpfException(what + " is a string but the kernel has " + value);
                }
                byte[] s = value.substring(1, value.length() - 1).getBytes(StandardCharsets.UTF_8);
                int n = Math.min(s.length, e.size() - 1); // truncated like libbpf, always NUL-terminated
                b.put(o, s, 0, n);
            }
            case INT -> {
                long v;
                try {
                    v = value.startsWith("0x") ? Long.parseUnsignedLong(value.substring(2), 16) : Long.parseLong(value);
                } catch (NumberFormatException ex) {
                    throw new BpfException(what + " is an integer but the kernel has " + value);
                }
                switch (e.size()) {
                    case 1 -> b.put(o, (byte) v);
                    case 2 -> b.putShort(o, (short) v);
                    case 4 -> b.putInt(o, (int) v);
                    default -> b.putLong(o, v);
                }
            }
        }
    }

    /** A resolved ksym or kfunc: its BTF id in the kernel (typed ksyms, kfuncs) or its address (untyped ksyms). */
    record Resolved(boolean found, int btfId, long address) {}

    /** Resolves ksyms and kfuncs against the running kernel, caching what it found. */
    static final class Resolver {
        private final String object;
        private final Btf local;
        private final Map<String, Resolved> cache = new HashMap<>();
        private Map<String, Long> kallsyms;

        Resolver(String object, Btf local) {
            this.object = object;
            this.local = local;
        }

        Resolved resolve(Extern e) {
            return cache.computeIfAbsent(e.name(), n -> find(e));
        }

        private Resolved find(Extern e) {
            String what = "object " + object + ": extern " + e.name();
            switch (e.kind()) {
                case KFUNC -> {
                    BtfType f = KernelBtf.vmlinux().findByName(BtfKind.FUNC, e.name()).orElse(null);
                    if (f == null) return missing(e, what + " is not a kfunc of this kernel (no FUNC " + e.name() + " in its BTF; modules' BTF is not searched yet)");
                    if (!CoreRelocator.compatible(local, e.typeId(), KernelBtf.vmlinux(), f.type())) {
                        throw new BpfException(what + ": its prototype does not match the kernel's [" + f.type() + "]");
                    }
                    return new Resolved(true, f.id(), 0);
                }
                case KSYM_TYPED -> {
                    BtfType v = KernelBtf.vmlinux().findByName(BtfKind.VAR, e.name()).orElse(null);
                    if (v == null) return missing(e, what + " is not a variable in the kernel's BTF");
                    if (!CoreRelocator.compatible(local, e.typeId(), KernelBtf.vmlinux(), v.type())) {
                        throw new BpfException(what + ": its type does not match the kernel's [" + v.type() + "]");
                    }
                    return new Resolved(true, v.id(), 0);
                }
                case KSYM_UNTYPED -> {
                    Long a = kallsyms().get(e.name());
                    if (a == null) return missing(e, what + " is not in /proc/kallsyms (a data symbol needs CONFIG_KALLSYMS_ALL)");
                    return new Resolved(true, 0, a);
                }
                default -> throw new IllegalStateException(e.kind().toString());
            }
        }

        private static Resolved missing(Extern e, String message) {
            if (!e.weak()) throw new BpfException.NotFoundException(message + "; declare it __weak to load without it");
            return new Resolved(false, 0, 0);
        }

        private Map<String, Long> kallsyms() {
            if (kallsyms == null) {
                kallsyms = new HashMap<>();
                try {
                    for (String line : Files.readAllLines(Path.of("/proc/kallsyms"))) {
                        String[] f = line.split("\\s+");
                        if (f.length >= 3) kallsyms.putIfAbsent(f[2], Long.parseUnsignedLong(f[0], 16));
                    }
                } catch (IOException e) {
                    throw new BpfException("cannot read /proc/kallsyms for untyped __ksym externs: " + e.getMessage(), e);
                }
            }
            return kallsyms;
        }
    }
}
