package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A RAW_TRACEPOINT program on a tracepoint by name (BPF_RAW_TRACEPOINT_OPEN, which returns
 * a BPF link): the program gets the tracepoint's raw arguments ({@code ctx->args[i]}, e.g.
 * skb, location and drop reason for kfree_skb) instead of the formatted record; no tracefs
 * and no perf event needed. Detached when closed or when its owner dies.
 */
public final class RawTracepointLink extends Link {
    private final String name;

    private RawTracepointLink(Fd fd, String name, String what) {
        super(fd, what);
        this.name = name;
    }

    /**
     * Attaches {@code program} to raw tracepoint {@code name} (e.g. "kfree_skb", "xdp_exception").
     *
     * @throws BpfException if the program is not a raw tracepoint program or there is no such tracepoint
     */
    public static RawTracepointLink attach(BpfProgram program, String name) {
        if (program.type() != ProgramType.RAW_TRACEPOINT && program.type() != ProgramType.RAW_TRACEPOINT_WRITABLE) {
            throw new BpfException("program " + program.name() + " is " + program.type()
                    + ", raw tracepoints take RAW_TRACEPOINT programs (section \"raw_tp/<name>\")");
        }
        String what = "raw tracepoint program " + program.name() + " to " + name;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocateFrom(name);
            MemorySegment a = Bpf.attr();
            a.set(JAVA_LONG, BpfAttr.RawTracepoint.NAME, n.address());
            a.set(JAVA_INT, BpfAttr.RawTracepoint.PROG_FD, program.fd());
            int r = Syscalls.bpf(BpfCmd.RAW_TRACEPOINT_OPEN, a, BpfAttr.RawTracepoint.SIZE);
            if (r < 0) {
                throw BpfException.of("attach " + what + (r == -Errno.ENOENT ? " (no tracepoint of that name on this kernel)" : ""), -r);
            }
            return new RawTracepointLink(new Fd(r), name, what);
        }
    }

    public String name() {
        return name;
    }
}
