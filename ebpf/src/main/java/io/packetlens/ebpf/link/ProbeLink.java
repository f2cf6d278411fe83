package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.sys.Fd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;


/**
 * A KPROBE program on a kernel function (kprobe, kretprobe) or on a function of an executable or library (uprobe,
 * uretprobe): a perf event of the kprobe or uprobe PMU (perf_event_open with the PMU's dynamic type from
 * /sys/bus/event_source/devices/*&#47;type; a uprobe is placed by file and offset, so every process that maps the
 * file runs it), with the program attached through a BPF link (BPF_PERF_EVENT). Detached when closed or when its
 * owner dies.
 */
public final class ProbeLink extends Link {
    private static final Path PMUS = Path.of("/sys/bus/event_source/devices");

    private ProbeLink(Fd fd, String what) {
        super(fd, what);
    }

    /** A kprobe (or kretprobe) on kernel function {@code function}. */
    public static ProbeLink kprobe(BpfProgram program, String function, boolean retprobe) {
        check(program);
        String what = (retprobe ? "kretprobe" : "kprobe") + " program " + program.name() + " on " + function;
        int type = pmuType("kprobe", what + ": this kernel has no kprobe PMU (CONFIG_KPROBES and CONFIG_KPROBE_EVENTS are off);"
                + " trace the function with fentry/fexit, tp_btf or a tracepoint instead");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocateFrom(function);
            return open(program, type, retprobe ? retprobeBit("kprobe") : 0, name.address(), 0, what);
        }
    }

    /** A uprobe (or uretprobe) on {@code function} of the ELF file {@code binary}, in every process that maps it. */
    public static ProbeLink uprobe(BpfProgram program, Path binary, String function, boolean retprobe) {
        check(program);
        long offset = ElfSymbols.offsetOf(binary, function);
        String what = (retprobe ? "uretprobe" : "uprobe") + " program " + program.name() + " on " + binary + ":" + function
                + " (offset 0x" + Long.toHexString(offset) + ")";
        int type = pmuType("uprobe", what + ": this kernel has no uprobe PMU (CONFIG_UPROBE_EVENTS is off)");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom(binary.toString());
            return open(program, type, retprobe ? retprobeBit("uprobe") : 0, path.address(), offset, what);
        }
    }

    private static void check(BpfProgram program) {
        if (program.type() != ProgramType.KPROBE) {
            throw new BpfException("program " + program.name() + " is " + program.type()
                    + ": kprobes and uprobes take KPROBE programs (sections kprobe/, kretprobe/, uprobe/, uretprobe/)");
        }
    }

    private static int pmuType(String pmu, String missing) {
        Path p = PMUS.resolve(pmu).resolve("type");
        if (!Files.exists(p)) throw new BpfException.NotFoundException(missing);
        try {
            return Integer.parseInt(Files.readString(p).strip());
        } catch (IOException | NumberFormatException e) {
            throw new BpfException("cannot read " + p + ": " + e.getMessage());
        }
    }

    /** The config bit that makes a probe a return probe, from the PMU's format ("config:0"). */
    private static long retprobeBit(String pmu) {
        Path p = PMUS.resolve(pmu).resolve("format/retprobe");
        try {
            String f = Files.readString(p).strip();
            return 1L << Integer.parseInt(f.substring(f.indexOf(':') + 1));
        } catch (IOException | RuntimeException e) {
            throw new BpfException("this kernel's " + pmu + " PMU has no return probes (" + p + ": " + e.getMessage() + ")");
        }
    }

    private static ProbeLink open(BpfProgram program, int type, long config, long config1, long config2, String what) {
        try (Fd perf = TracepointLink.openPerfEvent(type, config, config1, config2, what)) {
            return new ProbeLink(create(program.fd(), perf.get(), AttachType.PERF_EVENT.value(), 0, null, what), what); // the link holds the event
        }
    }
}
