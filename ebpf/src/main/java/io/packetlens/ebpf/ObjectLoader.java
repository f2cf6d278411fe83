package io.packetlens.ebpf;

import io.packetlens.ebpf.asm.Insn;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfSanitizer;
import io.packetlens.ebpf.features.BtfKinds;
import io.packetlens.ebpf.core.CoreRelocator;
import io.packetlens.ebpf.tracing.KernelBtf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Turns an {@link ObjectSpec} into kernel objects in the order the kernel needs: BTF,
 * then maps (reusing pins and replacements, writing and freezing global data), then
 * programs with map fds patched into their ld_imm64 instructions. Everything created is
 * closed (and new pins removed) if a later step fails.
 */
final class ObjectLoader {
    private static final System.Logger LOG = System.getLogger("packetlens.ebpf");

    private ObjectLoader() {}

    static BpfObject load(ObjectSpec spec, LoadOptions options) {
        List<AutoCloseable> created = new ArrayList<>();
        List<Path> newPins = new ArrayList<>();
        try {
            BtfHandle btf = null;
            if (spec.btf() != null) {
                try {
                    // a kernel without some BTF kinds gets them rewritten into kinds it has (ids unchanged)
                    btf = BtfHandle.load(BtfSanitizer.sanitize(spec.btf(), BtfKinds.missing()));
                    created.add(btf);
                } catch (VerifierException e) {
                    LOG.log(System.Logger.Level.WARNING, "object " + spec.name() + ": kernel rejected BTF, loading without it (verifier logs will lack source lines): " + e.getMessage());
                }
            }
            int btfFd = btf == null ? -1 : btf.fd();
            Map<String, BpfMap> maps = new LinkedHashMap<>();
            Map<String, BpfMap> owned = new LinkedHashMap<>();
            List<MapSpec> fresh = new ArrayList<>();
            MapSpec kconfig = spec.maps().get(Externs.KCONFIG);
            if (kconfig != null && kconfig.dataSection() != null) {
                kconfig.contents(Externs.kconfigContents(spec.name(), spec.btf(), spec.externs(), kconfig.valueSize()));
            }
            for (MapSpec ms : spec.maps().values()) {
                BpfMap replacement = options.replaceMaps().get(ms.name());
                if (replacement != null) {
                    if (!ms.compatibleWith(replacement)) throw new BpfException("replacement for map " + ms.name() + " is " + replacement + ", spec is " + ms);
                    maps.put(ms.name(), replacement);
                    continue;
                }
                BpfMap m = openOrCreate(ms, btfFd, options, newPins, created, fresh);
                maps.put(ms.name(), m);
                owned.put(ms.name(), m);
            }
            // maps of maps: each slot's map, now that all exist (a reused pin keeps what it holds, as in libbpf)
            for (MapSpec ms : fresh) {
                if (ms.innerMap() == null) continue;
                for (var slot : ms.initialValues().entrySet()) {
                    BpfMap target = maps.get(slot.getValue());
                    if (target == null) throw new BpfException.NotFoundException("map " + ms.name() + " slot " + slot.getKey() + ": no map " + slot.getValue());
                    maps.get(ms.name()).update(u32(slot.getKey()), u32(target.fd()));
                }
            }
            Map<String, BpfProgram> programs = new LinkedHashMap<>();
            List<Map.Entry<ProgramSpec, byte[]>> linked = new ArrayList<>();
            CoreRelocator core = null;
            Externs.Resolver resolver = null;
            for (ProgramSpec ps : spec.programs().values()) {
                byte[] insns = ps.instructions().clone();
                if (!ps.coreRelocations().isEmpty()) {
                    if (spec.btf() == null) throw new BpfException("program " + ps.name() + " has CO-RE relocations but the object has no BTF");
                    if (core == null) core = new CoreRelocator(spec.btf(), targetBtf(options));
                    for (CoreRelocator.Result r : core.apply(ps.name(), insns, ps.coreRelocations())) {
                        LOG.log(System.Logger.Level.DEBUG, () -> "object " + spec.name() + ", program " + ps.name() + ": CO-RE " + r);
                    }
                }
                if (!ps.externReferences().isEmpty()) {
                    if (resolver == null) resolver = new Externs.Resolver(spec.name(), spec.btf());
                    for (ProgramSpec.ExternReference ref : ps.externReferences()) patchExtern(insns, ref, spec.externs().get(ref.extern()), resolver);
                }
                for (MapReference ref : ps.mapReferences()) {
                    BpfMap m = maps.get(ref.map());
                    if (m == null) throw new BpfException.NotFoundException("program " + ps.name() + " refers to map " + ref.map() + ", which the object does not define");
                    Insn.setImm(insns, ref.instruction(), m.fd());
                    if (ref.value()) Insn.setImm(insns, ref.instruction() + 1, ref.offset());
                }
                linked.add(Map.entry(ps, insns));
            }
            for (BpfProgram p : loadAll(linked, btfFd, options, created)) programs.put(p.name(), p);
            // program arrays: each slot's tail-call target, now that the programs are loaded
            for (MapSpec ms : fresh) {
                if (ms.type() != MapType.PROG_ARRAY) continue;
                for (var slot : ms.initialValues().entrySet()) {
                    BpfProgram target = programs.get(slot.getValue());
                    if (target == null) {
                        LOG.log(System.Logger.Level.DEBUG, "object " + spec.name() + ": " + ms.name() + " slot " + slot.getKey()
                                + " stays empty: program " + slot.getValue() + " was not loaded");
                        continue;
                    }
                    maps.get(ms.name()).update(u32(slot.getKey()), u32(target.fd()));
                }
            }
            if (btf != null) {
                created.remove(btf);
                btf.close(); // programs and maps hold their own references to the BTF object
            }
            return new BpfObject(spec.name(), maps, owned, programs);
        } catch (RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                try {
                    created.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            for (Path p : newPins) {
                try {
                    Files.deleteIfExists(p);
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /**
     * BPF_PROG_LOAD of every linked program, in spec order. Privileged loads verify in parallel in the kernel (the
     * verifier's lock is taken for unprivileged ones only), and verification is most of an object's load time, so
     * with several programs and CPUs each is loaded on a thread of its own: an object with a TC ingress and an egress
     * program starts in the time of the larger one. Programs that need an attach target's BTF id are loaded one by
     * one (its resolution reads the kernel's BTF once, on first use). Every program loaded is in {@code created}
     * when this returns or throws; the first failure, in spec order, is the one thrown.
     */
    private static List<BpfProgram> loadAll(List<Map.Entry<ProgramSpec, byte[]>> linked, int btfFd, LoadOptions options,
                                            List<AutoCloseable> created) {
        int threads = Math.min(linked.size(), Runtime.getRuntime().availableProcessors());
        boolean serial = threads < 2 || linked.stream().anyMatch(e -> e.getKey().needsAttachBtf() && e.getKey().attachBtfId() == 0);
        List<BpfProgram> out = new ArrayList<>();
        if (serial) {
            for (var e : linked) {
                BpfProgram p = ProgramLoader.load(e.getKey(), e.getValue(), btfFd, options);
                created.add(p);
                out.add(p);
            }
            return out;
        }
        // platform threads made here: a thread takes the namespaces of the one that creates it, as the caller's
        // loads would have had them
        List<java.util.concurrent.Future<BpfProgram>> pending = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads, Thread.ofPlatform().daemon().name("bpf-load-", 0).factory())) {
            for (var e : linked) pending.add(pool.submit(() -> ProgramLoader.load(e.getKey(), e.getValue(), btfFd, options)));
        }
        RuntimeException failure = null;
        for (var f : pending) {
            try {
                BpfProgram p = f.get();
                created.add(p);
                out.add(p);
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Error err) throw err;
                if (failure == null) failure = cause instanceof RuntimeException r ? r : new BpfException("load program: " + cause, cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new BpfException("interrupted while loading programs", e);
            }
        }
        if (failure != null) throw failure;
        return out;
    }

    /** A pinned map of the same shape, or a new one (then added to {@code fresh}: its initial slots are filled by the caller). */
    private static BpfMap openOrCreate(MapSpec ms, int btfFd, LoadOptions options, List<Path> newPins, List<AutoCloseable> created,
                                       List<MapSpec> fresh) {
        Path pin = ms.pinning() == Pinning.BY_NAME ? options.pinPath().resolve(ms.name()) : null;
        if (pin != null && Files.exists(pin)) {
            BpfMap m = BpfMap.openPinned(pin);
            created.add(m);
            if (!ms.compatibleWith(m)) {
                throw new BpfException("pinned map " + pin + " is " + m + ", incompatible with " + ms + " (remove the pin to recreate it)");
            }
            return m;
        }
        BpfMap m = BpfMap.MapCreator.create(ms, btfFd);
        created.add(m);
        fresh.add(ms);
        if (ms.contents() != null) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment key = arena.allocate(4, 4);
                MemorySegment value = arena.allocate(Math.max(ms.valueSize(), 1), 8);
                MemorySegment.copy(ms.contents(), 0, value, JAVA_BYTE, 0, Math.min(ms.contents().length, ms.valueSize()));
                m.update(key, value);
            }
        }
        if (ms.freeze()) m.freeze();
        if (pin != null) {
            m.pin(pin);
            newPins.add(pin);
        }
        return m;
    }

    /** The BTF CO-RE relocations resolve against: the given file, else the running kernel's. */
    private static Btf targetBtf(LoadOptions options) {
        if (options.targetBtf() != null) {
            try {
                return Btf.parse(java.nio.file.Files.readAllBytes(options.targetBtf()));
            } catch (java.io.IOException e) {
                throw new BpfException("cannot read target BTF " + options.targetBtf() + ": " + e.getMessage(), e);
            }
        }
        if (!KernelBtf.available()) {
            throw new BpfException("the object has CO-RE relocations and this kernel publishes no BTF (" + KernelBtf.VMLINUX
                    + " missing: CONFIG_DEBUG_INFO_BTF); give one with LoadOptions.targetBtf(file)");
        }
        return KernelBtf.vmlinux();
    }

    /**
     * Writes a resolved ksym or kfunc into its instruction as libbpf 1.1 does: a kfunc call gets the kernel's FUNC id
     * (src BPF_PSEUDO_KFUNC_CALL; a missing weak one keeps imm 0, which the verifier accepts only as dead code); an
     * ld_imm64 of a kfunc or typed ksym gets src BPF_PSEUDO_BTF_ID and the BTF id; an untyped ksym (or a missing weak
     * one) its address as a plain constant.
     */
    private static void patchExtern(byte[] insns, ProgramSpec.ExternReference ref, Extern e, Externs.Resolver resolver) {
        Externs.Resolved r = resolver.resolve(e);
        int n = ref.instruction();
        if (ref.call()) {
            Insn.setSrc(insns, n, Insn.PSEUDO_KFUNC_CALL);
            Insn.setImm(insns, n, r.found() ? r.btfId() : 0);
            Insn.setOff(insns, n, 0);
            return;
        }
        if (r.found() && e.kind() != Extern.Kind.KSYM_UNTYPED) {
            Insn.setSrc(insns, n, Insn.PSEUDO_BTF_ID);
            Insn.setImm(insns, n, r.btfId());
            Insn.setImm(insns, n + 1, 0);
        } else {
            Insn.setSrc(insns, n, 0);
            Insn.setImm(insns, n, (int) r.address());
            Insn.setImm(insns, n + 1, (int) (r.address() >>> 32));
        }
    }

    private static byte[] u32(int v) {
        return java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(v).array();
    }
}
