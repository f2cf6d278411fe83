package io.packetlens.ebpf;

import io.packetlens.ebpf.asm.Insn;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfExt;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import io.packetlens.ebpf.elf.ElfException;
import io.packetlens.ebpf.elf.ElfFile;
import io.packetlens.ebpf.elf.Relocation;
import io.packetlens.ebpf.elf.Section;
import io.packetlens.ebpf.elf.Symbol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a clang-compiled BPF ELF object into an {@link ObjectSpec}: BTF-defined maps from
 * {@code .maps}, global-data maps and variables from {@code .data/.rodata/.bss}, and one
 * {@link ProgramSpec} per function in each program section, linked with the
 * {@code .text} subprograms it calls (bpf-to-bpf calls) and with its func/line info
 * rebased. Map references are recorded by name and resolved to fds at load time.
 */
final class ObjectReader {
    private static final String MAPS = ".maps";
    private static final String LEGACY_MAPS = "maps";

    /** A function: a range of instructions within one executable section. */
    private record Func(Section section, String name, int start, int length) {
        boolean contains(Section s, int index) {
            return s.index() == section.index() && index >= start && index < start + length;
        }
    }

    private final String objectName;
    private final ElfFile elf;
    private final Btf btf;
    private final BtfExt ext;
    private final Map<Integer, List<Func>> funcsBySection = new HashMap<>();
    private final Map<Integer, Map<Long, Relocation>> relocsBySection = new HashMap<>();
    private final Map<Integer, MapSpec> dataMapsBySection = new HashMap<>();
    private final Map<String, MapSpec> maps = new LinkedHashMap<>();
    private Map<String, Extern> externs = Map.of();

    private ObjectReader(String objectName, byte[] bytes) {
        this.objectName = objectName;
        this.elf = ElfFile.parse(bytes);
        this.btf = elf.section(".BTF").map(s -> Btf.parse(s.data())).orElse(null);
        this.ext = btf == null ? null : elf.section(".BTF.ext").map(s -> BtfExt.parse(s.data(), btf)).orElse(null);
    }

    static ObjectSpec read(String objectName, byte[] bytes) {
        return new ObjectReader(objectName, bytes).read();
    }

    private ObjectSpec read() {
        if (btf != null) fixDatasecs();
        String license = elf.section("license").map(s -> cString(s.data())).orElse("");
        readBtfMaps();
        readLegacyMaps();
        Map<String, Variable> variables = readDataSections();
        Externs.Found found = Externs.read(objectName, btf, elf.symbols());
        externs = found.externs();
        if (found.kconfigMap() != null) maps.put(Externs.KCONFIG, found.kconfigMap());
        indexFunctions();
        Map<String, ProgramSpec> programs = new LinkedHashMap<>();
        for (Section s : elf.sections()) {
            if (!s.isExecutable() || s.name().equals(".text")) continue;
            SectionNames.Kind kind = SectionNames.of(s.name());
            List<Func> funcs = funcsBySection.getOrDefault(s.index(), List.of());
            List<Func> entries = funcs.stream().filter(f -> isGlobal(f)).toList();
            if (entries.isEmpty()) entries = funcs;
            for (Func f : entries) {
                programs.put(f.name(), link(f, kind, license));
            }
        }
        if (btf != null) staticHiddenFunctions();
        // an object of maps alone is an object too: libbpf creates (and pins) its maps, and so does this
        return new ObjectSpec(objectName, maps, programs, variables, btf,
                ext == null ? 0 : ext.coreRelocationCount(), externs);
    }

    /**
     * As libbpf: a global function with hidden visibility ({@code __hidden}, as libbpf's usdt.bpf.h declares
     * bpf_usdt_arg) gets static linkage in the BTF, so the verifier checks it in its caller's context rather than
     * alone, where its pointer arguments could be null.
     */
    private void staticHiddenFunctions() {
        for (Symbol sym : elf.symbols()) {
            if (sym.type() != Symbol.STT_FUNC || !sym.isHiddenGlobal()) continue;
            btf.findByName(BtfKind.FUNC, sym.name()).ifPresent(f -> btf.setFuncLinkage(f.id(), 0));
        }
    }

    private boolean isGlobal(Func f) {
        return elf.symbols().stream().anyMatch(sym -> sym.type() == Symbol.STT_FUNC && sym.name().equals(f.name())
                && sym.sectionIndex() == f.section().index() && sym.bind() != Symbol.STB_LOCAL);
    }

    /** clang leaves DATASEC sizes and VAR offsets zero; take them from the ELF section and symbol table. */
    private void fixDatasecs() {
        for (BtfType t : btf.types()) {
            if (t.kind() != BtfKind.DATASEC) continue;
            Section sec = elf.section(t.name()).orElse(null);
            if (sec == null) continue;
            btf.setDatasecSize(t, (int) sec.size());
            for (Btf.SecInfo info : btf.datasec(t.id())) {
                String var = btf.type(info.varType()).name();
                Symbol sym = elf.symbols().stream()
                        .filter(s -> s.sectionIndex() == sec.index() && s.name().equals(var)
                                && s.type() != Symbol.STT_SECTION)
                        .findFirst().orElse(null);
                if (sym != null) btf.setSecInfoOffset(info, (int) sym.value());
            }
        }
    }

    private void readBtfMaps() {
        Section sec = elf.section(MAPS).orElse(null);
        if (sec == null) return;
        if (btf == null) throw new ElfException("object " + objectName + " has a .maps section but no BTF: compile with clang -g");
        BtfType ds = btf.findDatasec(MAPS).orElseThrow(() -> new ElfException("no BTF DATASEC for .maps"));
        Map<String, Integer> valuesOffset = new HashMap<>();
        for (Btf.SecInfo info : btf.datasec(ds.id())) {
            BtfType var = btf.type(info.varType());
            String name = var.name();
            BtfType def = btf.resolve(var.type());
            if (def.kind() != BtfKind.STRUCT) throw new ElfException("map " + name + ": definition is not a struct");
            maps.put(name, mapDefinition(name, def, valuesOffset));
        }
        readInitialValues(sec, valuesOffset);
    }

    /**
     * One BTF-defined map ({@code struct { __uint(type, ...); __type(key, ...); ... }}), as libbpf's
     * parse_btf_map_def reads it. {@code values} ({@code __array(values, ...)}) makes a map of maps whose inner
     * definition is the array's element, or a PROG_ARRAY when the element is a function; its byte offset in the
     * definition is noted in {@code valuesOffset}, where the initial values' relocations point.
     */
    private MapSpec mapDefinition(String name, BtfType def, Map<String, Integer> valuesOffset) {
        int type = -1, keySize = -1, valueSize = -1, maxEntries = 0, flags = 0, pinning = 0, keyId = 0, valueId = 0;
        long extra = 0;
        MapSpec inner = null;
        for (Btf.Member m : btf.members(def.id())) {
            switch (m.name()) {
                case "type" -> type = uintFromPointer(name, m);
                case "max_entries" -> maxEntries = uintFromPointer(name, m);
                case "map_flags" -> flags = uintFromPointer(name, m);
                case "key_size" -> keySize = uintFromPointer(name, m);
                case "value_size" -> valueSize = uintFromPointer(name, m);
                case "pinning" -> pinning = uintFromPointer(name, m);
                case "map_extra" -> extra = uintFromPointer(name, m);
                case "numa_node" -> uintFromPointer(name, m);
                case "key" -> {
                    keyId = pointee(name, m);
                    keySize = (int) btf.sizeOf(keyId);
                }
                case "value" -> {
                    valueId = pointee(name, m);
                    valueSize = (int) btf.sizeOf(valueId);
                }
                case "values" -> {
                    BtfType arr = btf.resolve(m.type());
                    if (arr.kind() != BtfKind.ARRAY) throw new ElfException("map " + name + ": 'values' is not __array(values, ...)");
                    BtfType ptr = btf.resolve(btf.array(arr.id()).elemType());
                    if (ptr.kind() != BtfKind.PTR) throw new ElfException("map " + name + ": 'values' must be an array of pointers");
                    BtfType elem = btf.resolve(ptr.type());
                    if (elem.kind() == BtfKind.STRUCT) {
                        inner = mapDefinition(name + ".inner", elem, new HashMap<>());
                    } else if (elem.kind() != BtfKind.FUNC_PROTO) {
                        throw new ElfException("map " + name + ": 'values' holds neither map definitions nor programs");
                    }
                    valueSize = 4; // a map fd or a program fd
                    valuesOffset.put(name, m.bitOffset() / 8);
                }
                default -> throw new ElfException("map " + name + ": unknown map definition field '" + m.name() + "'");
            }
        }
        if (type < 0) throw new ElfException("map " + name + ": no type");
        MapType mt = MapType.of(type);
        if (inner != null && mt != MapType.ARRAY_OF_MAPS && mt != MapType.HASH_OF_MAPS) {
            throw new ElfException("map " + name + ": 'values' with map definitions needs ARRAY_OF_MAPS or HASH_OF_MAPS, not " + mt);
        }
        if (valuesOffset.containsKey(name) && inner == null && mt != MapType.PROG_ARRAY) {
            throw new ElfException("map " + name + ": 'values' with programs needs a PROG_ARRAY, not " + mt);
        }
        return new MapSpec(name, mt, Math.max(keySize, 0), Math.max(valueSize, 0), maxEntries)
                .flags(flags).mapExtra(extra)
                .pinning(pinning == 1 ? Pinning.BY_NAME : Pinning.NONE)
                .btfTypes(keyId, valueId)
                .innerMap(inner);
    }

    /**
     * {@code .values = { [i] = &x }}: relocations in .maps at the map's values offset plus 8 per slot, against the map
     * (for maps of maps) or the program (for PROG_ARRAYs) that goes into slot i.
     */
    private void readInitialValues(Section sec, Map<String, Integer> valuesOffset) {
        if (valuesOffset.isEmpty()) return;
        Map<String, Symbol> mapSymbols = new HashMap<>();
        for (Symbol s : elf.symbols()) {
            if (s.sectionIndex() == sec.index() && s.type() != Symbol.STT_SECTION && maps.containsKey(s.name())) mapSymbols.put(s.name(), s);
        }
        for (Relocation r : elf.relocationsFor(sec)) {
            String owner = null;
            for (var e : mapSymbols.entrySet()) {
                Symbol s = e.getValue();
                if (r.offset() >= s.value() && r.offset() < s.value() + Math.max(s.size(), 1)) owner = e.getKey();
            }
            if (owner == null || !valuesOffset.containsKey(owner)) {
                throw new ElfException("relocation in .maps at offset " + r.offset() + " is not inside a map's 'values'");
            }
            long rel = r.offset() - mapSymbols.get(owner).value() - valuesOffset.get(owner);
            if (rel < 0 || rel % 8 != 0) throw new ElfException("map " + owner + ": relocation at offset " + r.offset() + " is not a 'values' slot");
            int slot = (int) (rel / 8);
            MapSpec m = maps.get(owner);
            String target = r.symbol().name();
            if (m.type() == MapType.PROG_ARRAY) {
                Section ts = r.symbol().sectionIndex() == 0 ? null : elf.section(r.symbol().sectionIndex());
                if (ts == null || !ts.isExecutable() || ts.name().equals(".text")) {
                    throw new ElfException("map " + owner + ": slot " + slot + " refers to '" + target + "', which is not a program (a function in its own section)");
                }
            } else if (!maps.containsKey(target)) {
                throw new ElfException("map " + owner + ": slot " + slot + " refers to '" + target + "', which is not a map of this object");
            }
            if (slot >= m.maxEntries()) throw new ElfException("map " + owner + ": slot " + slot + " is beyond max_entries " + m.maxEntries());
            m.initialValues().put(slot, target);
        }
    }

    /** {@code __uint(name, N)} is encoded as {@code int (*name)[N]}. */
    private int uintFromPointer(String map, Btf.Member m) {
        BtfType p = btf.resolve(m.type());
        if (p.kind() != BtfKind.PTR) throw new ElfException("map " + map + ": field " + m.name() + " is not __uint()");
        BtfType arr = btf.resolve(p.type());
        if (arr.kind() != BtfKind.ARRAY) throw new ElfException("map " + map + ": field " + m.name() + " is not __uint()");
        return btf.array(arr.id()).nelems();
    }

    /** {@code __type(name, T)} is encoded as {@code T *name}. */
    private int pointee(String map, Btf.Member m) {
        BtfType p = btf.resolve(m.type());
        if (p.kind() != BtfKind.PTR) throw new ElfException("map " + map + ": field " + m.name() + " is not __type()");
        return p.type();
    }

    /** The pre-BTF {@code struct bpf_map_def} in a section named "maps". */
    private void readLegacyMaps() {
        Section sec = elf.section(LEGACY_MAPS).orElse(null);
        if (sec == null) return;
        ByteBuffer b = sec.buffer();
        for (Symbol s : elf.symbols()) {
            if (s.sectionIndex() != sec.index() || s.type() == Symbol.STT_SECTION || s.name().isEmpty()) continue;
            int o = (int) s.value();
            if (o + 16 > sec.data().length) throw new ElfException("legacy map " + s.name() + " truncated");
            maps.put(s.name(), new MapSpec(s.name(), MapType.of(b.getInt(o)), b.getInt(o + 4), b.getInt(o + 8), b.getInt(o + 12))
                    .flags(o + 20 <= sec.data().length ? b.getInt(o + 16) : 0));
        }
    }

    private static boolean isDataSection(Section s) {
        String n = s.name();
        boolean named = n.equals(".data") || n.startsWith(".data.") || n.equals(".rodata") || n.startsWith(".rodata.")
                || n.equals(".bss") || n.startsWith(".bss.");
        return named && (s.type() == Section.SHT_PROGBITS || s.type() == Section.SHT_NOBITS);
    }

    private Map<String, Variable> readDataSections() {
        Map<String, Variable> vars = new LinkedHashMap<>();
        for (Section s : elf.sections()) {
            if (!isDataSection(s) || s.size() == 0) continue;
            if (s.size() < 0 || s.size() > Integer.MAX_VALUE - 8) throw new ElfException("section " + s.name() + " claims " + s.size() + " bytes");
            boolean ro = s.name().startsWith(".rodata");
            int valueId = btf == null ? 0 : btf.findDatasec(s.name()).map(BtfType::id).orElse(0);
            byte[] contents = s.type() == Section.SHT_NOBITS ? new byte[(int) s.size()] : s.data().clone();
            MapSpec spec = new MapSpec(s.name(), MapType.ARRAY, 4, (int) s.size(), 1)
                    .flags(ro ? MapSpec.F_RDONLY_PROG : 0)
                    .btfTypes(0, valueId)
                    .contents(contents)
                    .freeze(ro)
                    .dataSection(s.name());
            maps.put(s.name(), spec);
            dataMapsBySection.put(s.index(), spec);
            for (Symbol sym : elf.symbols()) {
                if (sym.sectionIndex() == s.index() && sym.type() == Symbol.STT_OBJECT && !sym.name().isEmpty()) {
                    vars.put(sym.name(), new Variable(sym.name(), spec, (int) sym.value(), (int) sym.size()));
                }
            }
        }
        return vars;
    }

    private void indexFunctions() {
        for (Section s : elf.sections()) {
            if (!s.isExecutable()) continue;
            int total = s.data().length / Insn.SIZE;
            List<Symbol> syms = elf.symbols().stream()
                    .filter(sym -> sym.sectionIndex() == s.index() && sym.type() == Symbol.STT_FUNC)
                    .sorted(Comparator.comparingLong(Symbol::value)).toList();
            List<Func> funcs = new ArrayList<>();
            for (int i = 0; i < syms.size(); i++) {
                Symbol sym = syms.get(i);
                int start = (int) (sym.value() / Insn.SIZE);
                int end = sym.size() > 0 ? start + (int) (sym.size() / Insn.SIZE)
                        : (i + 1 < syms.size() ? (int) (syms.get(i + 1).value() / Insn.SIZE) : total);
                if (start < 0 || end > total || end <= start) throw new ElfException("function " + sym.name() + " outside its section " + s.name());
                funcs.add(new Func(s, sym.name(), start, end - start));
            }
            funcsBySection.put(s.index(), funcs);
            Map<Long, Relocation> relocs = new HashMap<>();
            for (Relocation r : elf.relocationsFor(s)) relocs.put(r.offset(), r);
            relocsBySection.put(s.index(), relocs);
        }
    }

    private Func funcAt(Section s, int index, String from) {
        for (Func f : funcsBySection.getOrDefault(s.index(), List.of())) {
            if (f.contains(s, index)) return f;
        }
        throw new ElfException(from + ": call target instruction " + index + " in " + s.name() + " is not inside a known function");
    }

    /** Where a call or function-pointer instruction at {@code i} of {@code f} points, as (section, instruction), or null for helpers. */
    private Object[] target(Func f, byte[] code, int i) {
        Section s = f.section();
        Relocation r = relocsBySection.get(s.index()).get((long) i * Insn.SIZE);
        int op = Insn.code(code, i);
        int imm = Insn.imm(code, i);
        if (op == Insn.CALL) {
            if (r != null) {
                Symbol sym = r.symbol();
                if (sym.sectionIndex() == 0) {
                    Extern e = externs.get(sym.name());
                    if (e == null || e.kind() != Extern.Kind.KFUNC) {
                        throw new ElfException(f.name() + ": call to extern function '" + sym.name() + "', which is not declared __ksym (a kfunc)");
                    }
                    return null; // a kfunc: resolved at load
                }
                Section ts = elf.section(sym.sectionIndex());
                if (!ts.isExecutable()) throw new ElfException(f.name() + ": call relocation against non-code symbol " + sym.name());
                return new Object[] {ts, (int) (sym.value() / Insn.SIZE) + imm + 1};
            }
            if (Insn.src(code, i) == Insn.PSEUDO_CALL) return new Object[] {s, i + imm + 1};
            return null;
        }
        // a function pointer (bpf_loop's callback): clang marks it PSEUDO_FUNC, or (clang 14) leaves src 0 with the
        // relocation against the code section, as libbpf recognises it
        if (op == Insn.LD_IMM64 && r != null && (Insn.src(code, i) == Insn.PSEUDO_FUNC
                || r.symbol().sectionIndex() != 0 && elf.section(r.symbol().sectionIndex()).isExecutable())) {
            Symbol sym = r.symbol();
            Section ts = elf.section(sym.sectionIndex());
            return new Object[] {ts, (int) (sym.value() / Insn.SIZE) + imm / Insn.SIZE};
        }
        return null;
    }

    private ProgramSpec link(Func main, SectionNames.Kind kind, String license) {
        // Phase 1: every function reachable from main, in the order they will be laid out.
        List<Func> layout = new ArrayList<>();
        Map<Func, Integer> position = new HashMap<>();
        layout.add(main);
        position.put(main, 0);
        int length = place(main, main, layout, position, main.length());
        // Phase 2: copy and patch.
        byte[] out = new byte[length * Insn.SIZE];
        List<MapReference> refs = new ArrayList<>();
        ByteArrayOutputStream funcInfo = new ByteArrayOutputStream();
        ByteArrayOutputStream lineInfo = new ByteArrayOutputStream();
        List<BtfExt.CoreRelo> core = new ArrayList<>();
        List<ProgramSpec.ExternReference> externRefs = new ArrayList<>();
        for (Func f : layout) {
            int base = position.get(f);
            byte[] code = f.section().data();
            System.arraycopy(code, f.start() * Insn.SIZE, out, base * Insn.SIZE, f.length() * Insn.SIZE);
            Map<Long, Relocation> relocs = relocsBySection.get(f.section().index());
            for (int i = f.start(); i < f.start() + f.length(); ) {
                int op = Insn.code(code, i);
                int n = base + i - f.start();
                Object[] t = target(f, code, i);
                if (t != null) {
                    Func g = funcAt((Section) t[0], (int) t[1], main.name());
                    int dest = position.get(g) + (int) t[1] - g.start();
                    if (op == Insn.CALL) Insn.setSrc(out, n, Insn.PSEUDO_CALL);
                    else Insn.setSrc(out, n, Insn.PSEUDO_FUNC);
                    Insn.setImm(out, n, dest - (n + 1));
                } else if (op == Insn.CALL && relocs.containsKey((long) i * Insn.SIZE)) {
                    // a kfunc (target() returned null for it): src and imm are set at load
                    Insn.setSrc(out, n, Insn.PSEUDO_KFUNC_CALL);
                    Insn.setImm(out, n, 0);
                    externRefs.add(new ProgramSpec.ExternReference(n, relocs.get((long) i * Insn.SIZE).symbol().name(), true));
                } else if (op == Insn.LD_IMM64) {
                    Relocation r = relocs.get((long) i * Insn.SIZE);
                    if (r != null && r.symbol().sectionIndex() == 0) {
                        Extern e = externs.get(r.symbol().name());
                        if (e == null) {
                            throw new ElfException(main.name() + ": instruction " + i + " refers to extern '" + r.symbol().name()
                                    + "', which is neither __kconfig nor __ksym");
                        }
                        if (e.kind() == Extern.Kind.KCONFIG) {
                            Insn.setSrc(out, n, Insn.PSEUDO_MAP_VALUE);
                            refs.add(new MapReference(n, Externs.KCONFIG, true, e.offset()));
                        } else {
                            externRefs.add(new ProgramSpec.ExternReference(n, e.name(), false));
                        }
                    } else if (r != null) {
                        refs.add(mapReference(main, r, code, i, out, n));
                    }
                } else if (relocs.containsKey((long) i * Insn.SIZE)) {
                    Relocation r = relocs.get((long) i * Insn.SIZE);
                    throw new ElfException(main.name() + ": unsupported relocation type " + r.type() + " against " + r.symbol().name() + " at instruction " + i);
                }
                i += op == Insn.LD_IMM64 ? 2 : 1;
            }
            if (ext != null) {
                copyInfo(ext.funcInfo(), f, base, funcInfo);
                copyInfo(ext.lineInfo(), f, base, lineInfo);
                for (BtfExt.CoreRelo r : ext.coreRelocations(f.section().name())) {
                    if (r.insn() >= f.start() && r.insn() < f.start() + f.length()) {
                        core.add(new BtfExt.CoreRelo(base + r.insn() - f.start(), r.typeId(), r.access(), r.kind()));
                    }
                }
            }
        }
        ProgramType type = kind == null ? ProgramType.UNSPEC : kind.type();
        AttachType attach = kind == null ? null : kind.attach();
        ProgramSpec spec = new ProgramSpec(main.name(), main.section().name(), type, attach, license, out, refs,
                ext == null ? null : funcInfo.toByteArray(), ext == null ? 0 : ext.funcInfo().recordSize(),
                ext == null ? null : lineInfo.toByteArray(), ext == null ? 0 : ext.lineInfo().recordSize());
        spec.coreRelocations(core);
        spec.externReferences(externRefs);
        if (kind != null) {
            spec.flags(kind.flags());
            if (kind.attachBtf()) spec.attachTarget(kind.target());
            else spec.target(kind.target());
        }
        return spec;
    }

    /**
     * Appends the functions {@code f} calls or points to that are not placed yet, depth first in instruction order:
     * each callee right after it is found, then its own callees, before {@code f}'s next call. This is libbpf's
     * order (bpf_object__reloc_code), so that the linked instructions, and with them the kernel's program tag, are
     * the same as libbpf's. Returns the new length.
     */
    private int place(Func main, Func f, List<Func> layout, Map<Func, Integer> position, int length) {
        byte[] code = f.section().data();
        for (int i = f.start(); i < f.start() + f.length(); i += Insn.code(code, i) == Insn.LD_IMM64 ? 2 : 1) {
            Object[] t = target(f, code, i);
            if (t == null) continue;
            Func g = funcAt((Section) t[0], (int) t[1], main.name());
            if (position.containsKey(g)) continue;
            position.put(g, length);
            layout.add(g);
            length = place(main, g, layout, position, length + g.length());
        }
        return length;
    }

    private MapReference mapReference(Func main, Relocation r, byte[] code, int i, byte[] out, int n) {
        Symbol sym = r.symbol();
        if (sym.sectionIndex() == 0) {
            throw new ElfException(main.name() + ": reference to extern '" + sym.name() + "'");
        }
        Section target = elf.section(sym.sectionIndex());
        if (target.name().equals(MAPS) || target.name().equals(LEGACY_MAPS)) {
            String name = sym.type() == Symbol.STT_SECTION ? null : sym.name();
            if (name == null || !maps.containsKey(name)) throw new ElfException(main.name() + ": reference to unknown map symbol " + sym.name());
            Insn.setSrc(out, n, Insn.PSEUDO_MAP_FD);
            return new MapReference(n, name, false, 0);
        }
        MapSpec data = dataMapsBySection.get(target.index());
        if (data != null) {
            int offset = (int) sym.value() + Insn.imm(code, i);
            Insn.setSrc(out, n, Insn.PSEUDO_MAP_VALUE);
            return new MapReference(n, data.name(), true, offset);
        }
        throw new ElfException(main.name() + ": instruction " + i + " refers to symbol " + sym.name() + " in section "
                + target.name() + ", which is neither a map nor global data");
    }

    private static void copyInfo(BtfExt.Info info, Func f, int base, ByteArrayOutputStream out) {
        List<BtfExt.Record> recs = info.bySection().get(f.section().name());
        if (recs == null) return;
        for (BtfExt.Record rec : recs) {
            if (rec.insn() < f.start() || rec.insn() >= f.start() + f.length()) continue;
            byte[] raw = rec.raw().clone();
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putInt(0, base + rec.insn() - f.start());
            out.writeBytes(raw);
        }
    }

    private static String cString(byte[] d) {
        int e = 0;
        while (e < d.length && d[e] != 0) e++;
        return new String(d, 0, e, StandardCharsets.UTF_8);
    }
}
