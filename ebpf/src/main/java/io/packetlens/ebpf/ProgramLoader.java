package io.packetlens.ebpf;

import io.packetlens.ebpf.features.Capabilities;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * BPF_PROG_LOAD of one linked program. Loads first without a verifier log (cheaper); on
 * rejection loads again with log level 1, growing the buffer while the kernel reports it
 * too small, and raises a {@link VerifierException} carrying the log.
 */
final class ProgramLoader {
    private static final int MAX_LOG = 1 << 28;

    private ProgramLoader() {}

    static BpfProgram load(ProgramSpec spec, byte[] insns, int btfFd, LoadOptions options) {
        if (spec.type() == ProgramType.UNSPEC) {
            throw new BpfException("program " + spec.name() + " in section '" + spec.section()
                    + "' has no program type: the section name is not one libbpf defines; set it with ProgramSpec.type()");
        }
        int attachBtfId = spec.attachBtfId();
        if (spec.needsAttachBtf() && attachBtfId == 0) attachBtfId = AttachTargets.resolve(spec);
        try (Arena arena = Arena.ofConfined()) {
            int r = attempt(arena, spec, insns, btfFd, attachBtfId, 0, MemorySegment.NULL);
            if (r >= 0 && !options.verboseLog()) return new BpfProgram(new Fd(r), spec.name(), spec.type(), spec.attachType());
            if (r >= 0) Syscalls.close(r);
            int errno = -r;
            if (errno == Errno.EPERM && r < 0) throw permissionError(spec);
            int size = Math.max(options.logSize(), 4096);
            while (true) {
                MemorySegment log = arena.allocate(size);
                r = attempt(arena, spec, insns, btfFd, attachBtfId, options.verboseLog() ? 2 : 1, log);
                String text = log.getString(0, StandardCharsets.UTF_8);
                if (r >= 0) {
                    if (options.verboseLog()) System.getLogger("packetlens.ebpf").log(System.Logger.Level.DEBUG, text);
                    return new BpfProgram(new Fd(r), spec.name(), spec.type(), spec.attachType());
                }
                if (r == -Errno.ENOSPC && size < MAX_LOG) {
                    size *= 4;
                    continue;
                }
                if (r == -Errno.EPERM) throw permissionError(spec);
                if (text.isBlank() && r == -Errno.EINVAL) {
                    throw new BpfException("load program " + spec.name() + " (" + spec.type()
                            + (spec.attachType() != null ? ", expected attach type " + spec.attachType() : "")
                            + "): the kernel refused its load attributes before verifying it (EINVAL, empty verifier log)"
                            + attributeHint(spec), -r, null);
                }
                throw new VerifierException("program " + spec.name() + " (" + spec.type() + ")", -r, text);
            }
        }
    }

    /**
     * EPERM: missing privileges, or, for programs that run through a BPF trampoline (fentry, fexit, fmod_ret, lsm,
     * freplace), a kernel that will not build one even for a process with every BPF capability.
     */
    private static BpfException permissionError(ProgramSpec spec) {
        AttachType a = spec.attachType();
        boolean trampoline = spec.type() == ProgramType.EXT || spec.type() == ProgramType.LSM
                || spec.type() == ProgramType.TRACING && (a == AttachType.TRACE_FENTRY || a == AttachType.TRACE_FEXIT
                        || a == AttachType.MODIFY_RETURN);
        var caps = Capabilities.current();
        var missing = caps.missing(Capabilities.CAP_BPF, Capabilities.CAP_PERFMON,
                Capabilities.CAP_SYS_ADMIN);
        if (trampoline && missing.isEmpty()) {
            return new BpfException("load program " + spec.name() + " (" + spec.type() + (a != null ? "/" + a : "")
                    + (spec.attachTarget().isEmpty() ? "" : " on " + spec.attachTarget()) + "): the kernel refused it (EPERM)"
                    + " although this process has CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN. fentry, fexit, fmod_ret, lsm and"
                    + " freplace programs run through a BPF trampoline, and this kernel refuses to set one up (a kernel"
                    + " policy, not a privilege this process could add); tp_btf, raw_tp and tracepoint programs need none", Errno.EPERM, null);
        }
        return BpfException.of("load program " + spec.name(), Errno.EPERM);
    }

    /** Why the kernel may refuse a load before verifying: the attributes some program types cannot do without. */
    private static String attributeHint(ProgramSpec spec) {
        boolean needsAttach = switch (spec.type()) {
            case CGROUP_SOCK_ADDR, CGROUP_SOCKOPT, CGROUP_SOCK, TRACING, LSM, SK_LOOKUP, NETFILTER, SK_REUSEPORT -> true;
            default -> false;
        };
        if (needsAttach && spec.attachType() == null) {
            return "; " + spec.type() + " programs need an expected attach type: name the section as libbpf does"
                    + " (cgroup/connect4, cgroup/getsockopt, fentry/<function> ...) or set ProgramSpec.attachType()";
        }
        if ((spec.flags() & SectionNames.F_SLEEPABLE) != 0) return "; it is sleepable (a '.s' section): this kernel or this hook may not allow that";
        if ((spec.flags() & SectionNames.F_XDP_HAS_FRAGS) != 0) return "; it takes multi-buffer frames (xdp.frags): this kernel may not support BPF_F_XDP_HAS_FRAGS";
        return "";
    }

    private static int attempt(Arena arena, ProgramSpec spec, byte[] insns, int btfFd, int attachBtfId, int logLevel,
                               MemorySegment log) {
        MemorySegment code = arena.allocateFrom(JAVA_BYTE, insns);
        MemorySegment license = arena.allocateFrom(spec.license() == null ? "" : spec.license());
        MemorySegment funcInfo = MemorySegment.NULL, lineInfo = MemorySegment.NULL;
        boolean btf = btfFd >= 0 && spec.funcInfo() != null && spec.funcInfo().length > 0;
        if (btf) {
            funcInfo = arena.allocateFrom(JAVA_BYTE, spec.funcInfo());
            if (spec.hasLineInfo()) lineInfo = arena.allocateFrom(JAVA_BYTE, spec.lineInfo());
        }
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.ProgLoad.PROG_TYPE, spec.type().value());
        a.set(JAVA_INT, BpfAttr.ProgLoad.INSN_CNT, insns.length / ProgramSpec.INSN_SIZE);
        a.set(JAVA_LONG, BpfAttr.ProgLoad.INSNS, code.address());
        a.set(JAVA_LONG, BpfAttr.ProgLoad.LICENSE, license.address());
        if (logLevel > 0) {
            a.set(JAVA_INT, BpfAttr.ProgLoad.LOG_LEVEL, logLevel);
            a.set(JAVA_INT, BpfAttr.ProgLoad.LOG_SIZE, (int) log.byteSize());
            a.set(JAVA_LONG, BpfAttr.ProgLoad.LOG_BUF, log.address());
        }
        byte[] name = BpfMap.kernelName(spec.name());
        MemorySegment.copy(name, 0, a, JAVA_BYTE, BpfAttr.ProgLoad.PROG_NAME, name.length);
        a.set(JAVA_INT, BpfAttr.ProgLoad.PROG_IFINDEX, spec.ifindex());
        if (spec.attachType() != null) a.set(JAVA_INT, BpfAttr.ProgLoad.EXPECTED_ATTACH_TYPE, spec.attachType().value());
        a.set(JAVA_INT, BpfAttr.ProgLoad.PROG_FLAGS, spec.flags());
        a.set(JAVA_INT, BpfAttr.ProgLoad.ATTACH_BTF_ID, attachBtfId);
        a.set(JAVA_INT, BpfAttr.ProgLoad.ATTACH_PROG_FD, spec.attachProgFd());
        if (btf) {
            a.set(JAVA_INT, BpfAttr.ProgLoad.PROG_BTF_FD, btfFd);
            a.set(JAVA_INT, BpfAttr.ProgLoad.FUNC_INFO_REC_SIZE, spec.funcInfoRecordSize());
            a.set(JAVA_LONG, BpfAttr.ProgLoad.FUNC_INFO, funcInfo.address());
            a.set(JAVA_INT, BpfAttr.ProgLoad.FUNC_INFO_CNT, spec.funcInfo().length / spec.funcInfoRecordSize());
            if (spec.hasLineInfo()) {
                a.set(JAVA_INT, BpfAttr.ProgLoad.LINE_INFO_REC_SIZE, spec.lineInfoRecordSize());
                a.set(JAVA_LONG, BpfAttr.ProgLoad.LINE_INFO, lineInfo.address());
                a.set(JAVA_INT, BpfAttr.ProgLoad.LINE_INFO_CNT, spec.lineInfo().length / spec.lineInfoRecordSize());
            }
        }
        return Syscalls.bpf(BpfCmd.PROG_LOAD, a, BpfAttr.ProgLoad.SIZE);
    }
}
