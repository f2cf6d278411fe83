package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.sys.Fd;

/**
 * An XDP program attached to an interface through a BPF link (BPF_LINK_CREATE with
 * attach type BPF_XDP, kernel 5.9+). The link detaches when closed or when its owner
 * dies, and the kernel refuses a second XDP link on the same interface and mode (EBUSY),
 * so another user's program is never replaced by accident.
 */
public final class XdpLink extends Link {
    private final int ifindex;
    private final XdpMode mode;

    private XdpLink(Fd fd, int ifindex, XdpMode mode, String what) {
        super(fd, what);
        this.ifindex = ifindex;
        this.mode = mode;
    }

    public static XdpLink attach(BpfProgram program, String ifname, XdpMode mode) {
        return attach(program, Interfaces.index(ifname), mode);
    }

    /** Attaches in the given mode; {@link XdpMode#AUTO} tries driver mode, then generic. */
    public static XdpLink attach(BpfProgram program, int ifindex, XdpMode mode) {
        if (program.type() != ProgramType.XDP) {
            throw new BpfException("program " + program.name() + " is " + program.type() + ", XDP hooks need an XDP program");
        }
        if (mode == XdpMode.AUTO) {
            try {
                return attach(program, ifindex, XdpMode.DRIVER);
            } catch (BpfException driverFailed) {
                if (driverFailed.errno() == io.packetlens.ebpf.sys.Errno.EBUSY
                        || driverFailed.errno() == io.packetlens.ebpf.sys.Errno.EEXIST) throw driverFailed;
                return attach(program, ifindex, XdpMode.GENERIC);
            }
        }
        String what = "XDP program " + program.name() + " to ifindex " + ifindex + " (" + mode + ")";
        Fd fd = create(program.fd(), ifindex, AttachType.XDP.value(), mode.flags, null, what);
        return new XdpLink(fd, ifindex, mode, what);
    }

    public int ifindex() {
        return ifindex;
    }

    /** The mode actually used (never AUTO). */
    public XdpMode mode() {
        return mode;
    }
}
