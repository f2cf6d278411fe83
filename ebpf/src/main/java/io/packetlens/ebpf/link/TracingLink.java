package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ProgramType;

/**
 * A program attached by BTF id, to the kernel function, BTF tracepoint or LSM hook it was loaded for (BPF_LINK_CREATE
 * of a TRACING or LSM program: fentry, fexit, fmod_ret, tp_btf, lsm, or an EXT program replacing a function of
 * another program). The target was fixed at load (attach_btf_id), so attaching needs nothing more. Detached when
 * closed or when its owner dies, unless pinned.
 */
public final class TracingLink extends Link {
    private TracingLink(io.packetlens.ebpf.sys.Fd fd, String what) {
        super(fd, what);
    }

    /** Attaches {@code program} where its load put it; throws for programs that are not fentry/fexit/fmod_ret/tp_btf/lsm/freplace. */
    public static TracingLink attach(BpfProgram program) {
        ProgramType t = program.type();
        AttachType a = program.attachType();
        boolean ok = t == ProgramType.EXT
                || t == ProgramType.LSM && a == AttachType.LSM_MAC
                || t == ProgramType.TRACING && (a == AttachType.TRACE_FENTRY || a == AttachType.TRACE_FEXIT
                        || a == AttachType.MODIFY_RETURN || a == AttachType.TRACE_RAW_TP);
        if (!ok) {
            throw new BpfException("program " + program.name() + " is " + t + (a != null ? "/" + a : "")
                    + ": tracing links take fentry, fexit, fmod_ret, tp_btf, lsm and freplace programs"
                    + (a == AttachType.TRACE_ITER ? " (an iterator attaches with IterLink)" : ""));
        }
        String what = t.name().toLowerCase(java.util.Locale.ROOT) + " program " + program.name()
                + (a != null ? " (" + AttachType.nameOf(a.value()) + ")" : "");
        // EXT takes attach type 0 in BPF_LINK_CREATE; TRACING and LSM must repeat their expected attach type
        return new TracingLink(create(program.fd(), 0, t == ProgramType.EXT ? 0 : a.value(), 0, null, what), what);
    }
}
