package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.cgroup.Cgroup;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

/**
 * A cgroup program attached to a cgroup v2 directory through a BPF link (BPF_LINK_CREATE
 * with the directory's fd; kernel 5.7+), e.g. cgroup_skb ingress or egress, which sees the
 * packets of every socket created by a process in that group or below. Several links may
 * share one hook (they all run). Detached when closed or when its owner dies, unless pinned.
 */
public final class CgroupLink extends Link {
    private static final int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;

    private final Cgroup cgroup;
    private final AttachType attachType;

    private CgroupLink(Fd fd, Cgroup cgroup, AttachType attachType, String what) {
        super(fd, what);
        this.cgroup = cgroup;
        this.attachType = attachType;
    }

    /** Attaches with the program's expected attach type (from its section, e.g. cgroup_skb/egress). */
    public static CgroupLink attach(BpfProgram program, Cgroup cgroup) {
        if (program.attachType() == null) {
            throw new BpfException("program " + program.name() + " has no attach type: use a section such as cgroup_skb/ingress "
                    + "or cgroup_skb/egress, or pass the attach type");
        }
        return attach(program, cgroup, program.attachType());
    }

    /**
     * Attaches {@code program} to {@code cgroup} at hook {@code type}.
     *
     * @throws BpfException if the program type does not fit the hook, or the kernel refuses
     */
    public static CgroupLink attach(BpfProgram program, Cgroup cgroup, AttachType type) {
        ProgramType needed = switch (type) {
            case CGROUP_INET_INGRESS, CGROUP_INET_EGRESS -> ProgramType.CGROUP_SKB;
            case CGROUP_INET_SOCK_CREATE, CGROUP_INET_SOCK_RELEASE, CGROUP_INET4_POST_BIND, CGROUP_INET6_POST_BIND -> ProgramType.CGROUP_SOCK;
            case CGROUP_SOCK_OPS -> ProgramType.SOCK_OPS;
            case CGROUP_DEVICE -> ProgramType.CGROUP_DEVICE;
            case CGROUP_SYSCTL -> ProgramType.CGROUP_SYSCTL;
            case CGROUP_GETSOCKOPT, CGROUP_SETSOCKOPT -> ProgramType.CGROUP_SOCKOPT;
            case CGROUP_INET4_BIND, CGROUP_INET6_BIND, CGROUP_INET4_CONNECT, CGROUP_INET6_CONNECT,
                 CGROUP_UDP4_SENDMSG, CGROUP_UDP6_SENDMSG, CGROUP_UDP4_RECVMSG, CGROUP_UDP6_RECVMSG,
                 CGROUP_INET4_GETPEERNAME, CGROUP_INET6_GETPEERNAME, CGROUP_INET4_GETSOCKNAME, CGROUP_INET6_GETSOCKNAME,
                 CGROUP_UNIX_CONNECT, CGROUP_UNIX_SENDMSG, CGROUP_UNIX_RECVMSG, CGROUP_UNIX_GETPEERNAME,
                 CGROUP_UNIX_GETSOCKNAME -> ProgramType.CGROUP_SOCK_ADDR;
            case LSM_CGROUP -> ProgramType.LSM;
            default -> throw new BpfException(type + " is not a cgroup hook");
        };
        if (program.type() != needed) {
            throw new BpfException("program " + program.name() + " is " + program.type() + ", cgroup hook " + type
                    + " needs a " + needed + " program");
        }
        String what = type + " program " + program.name() + " on cgroup " + cgroup.path();
        int dirFd = Syscalls.open(cgroup.path().toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (dirFd < 0) throw BpfException.of("open cgroup directory " + cgroup.path(), -dirFd);
        try (Fd dir = new Fd(dirFd)) {
            int r = tryCreate(program.fd(), dir.get(), type.value(), 0, null);
            if (r < 0) {
                throw BpfException.of("attach " + what + switch (-r) {
                    case Errno.EBADF -> " (not a cgroup v2 directory)";
                    case Errno.EINVAL -> " (the program was loaded for another attach type?)";
                    default -> "";
                }, -r);
            }
            return new CgroupLink(new Fd(r), cgroup, type, what);
        }
    }

    public Cgroup cgroup() {
        return cgroup;
    }

    public AttachType attachType() {
        return attachType;
    }
}
