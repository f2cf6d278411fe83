package io.packetlens.ebpf;

import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import io.packetlens.ebpf.tracing.KernelBtf;

/**
 * Finds the attach_btf_id of a program that attaches by BTF id, in the running kernel's BTF, the way libbpf's
 * find_kernel_btf_id does: a FUNC of the target's name for fentry, fexit and fmod_ret; the TYPEDEF
 * {@code btf_trace_<name>} for tp_btf; the FUNC {@code bpf_lsm_<hook>} for lsm; the FUNC {@code bpf_iter_<name>}
 * for iterators.
 */
final class AttachTargets {
    private AttachTargets() {}

    /** The BTF type id {@code spec} attaches to; throws naming the section, the target and where it was looked for. */
    static int resolve(ProgramSpec spec) {
        String what = "program " + spec.name() + (spec.section() != null ? " in section '" + spec.section() + "'" : "");
        String target = spec.attachTarget();
        if (spec.type() == ProgramType.EXT) {
            if (spec.attachProgFd() == 0 || target.isEmpty()) {
                throw new BpfException(what + " replaces a function of another program (freplace): give that program with "
                        + "ProgramSpec.attachProgFd(fd), and the function with the section (freplace/<function>) or ProgramSpec.attachTarget()");
            }
            // the target is a global function of the loaded program: its FUNC in that program's BTF
            Btf btf = BpfProgram.btfOf(spec.attachProgFd()).orElseThrow(() -> new BpfException(what
                    + ": the program to replace a function of was loaded without BTF, so its functions cannot be found"));
            return btf.findByName(BtfKind.FUNC, target).orElseThrow(() -> new BpfException.NotFoundException(what
                    + ": the program to replace a function of has no function '" + target + "' in its BTF")).id();
        }
        if (target.isEmpty()) {
            throw new BpfException(what + " attaches by BTF id but names no target: write the section as "
                    + (spec.section() == null ? "<prefix>" : spec.section()) + "/<name>, or set ProgramSpec.attachTarget()");
        }
        AttachType a = spec.attachType();
        String prefix = a == AttachType.TRACE_RAW_TP ? "btf_trace_"
                : a == AttachType.LSM_MAC || a == AttachType.LSM_CGROUP ? "bpf_lsm_"
                : a == AttachType.TRACE_ITER ? "bpf_iter_" : "";
        int kind = a == AttachType.TRACE_RAW_TP ? BtfKind.TYPEDEF : BtfKind.FUNC;
        if (!KernelBtf.available()) {
            throw new BpfException(what + " attaches to " + target + " by BTF id, but this kernel publishes no BTF ("
                    + KernelBtf.VMLINUX + " missing: CONFIG_DEBUG_INFO_BTF)");
        }
        Btf btf = KernelBtf.vmlinux();
        BtfType t = btf.findByName(kind, prefix + target).orElse(null);
        if (t == null) {
            String thing = a == AttachType.TRACE_RAW_TP ? "tracepoint" : a == AttachType.TRACE_ITER ? "iterator"
                    : prefix.equals("bpf_lsm_") ? "LSM hook" : "function";
            throw new BpfException.NotFoundException(what + ": the kernel's BTF (" + KernelBtf.VMLINUX + ") has no "
                    + thing + " '" + target + "' (no " + (kind == BtfKind.TYPEDEF ? "TYPEDEF " : "FUNC ") + prefix + target
                    + "); modules' BTF is not searched yet");
        }
        return t.id();
    }
}
