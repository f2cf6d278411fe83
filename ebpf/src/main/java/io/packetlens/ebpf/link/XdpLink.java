package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.netlink.NetlinkException;
import io.packetlens.ebpf.netlink.NetlinkSocket;
import io.packetlens.ebpf.sys.Fd;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An XDP program attached to an interface, either through a BPF link (BPF_LINK_CREATE with
 * attach type BPF_XDP, kernel 5.9+: detached when closed or when its owner dies) or through
 * netlink (RTM_SETLINK with IFLA_XDP, the only way on older kernels and the way to replace
 * a program atomically: it stays until closed, even if the process dies). Neither path
 * displaces a program someone else attached unless {@link XdpOptions#replacing} says so.
 * In AUTO mode driver mode is tried first and generic mode second; {@link #fallback()}
 * reports what was refused on the way.
 */
public final class XdpLink extends Link {
    private final int ifindex;
    private final XdpMode mode;
    private final XdpOptions.Via via;
    private final String fallback;
    private final int programId;
    // netlink attachments only: the socket (bound to the attaching thread's namespace) and our own program fd
    private final NetlinkSocket netlink;
    private final Fd programFd;

    private XdpLink(Fd fd, int ifindex, XdpMode mode, int programId, String fallback, String what) {
        super(fd, what);
        this.ifindex = ifindex;
        this.mode = mode;
        this.via = XdpOptions.Via.LINK;
        this.fallback = fallback;
        this.programId = programId;
        this.netlink = null;
        this.programFd = null;
    }

    private XdpLink(NetlinkSocket netlink, Fd programFd, int ifindex, XdpMode mode, int programId, String fallback, String what) {
        super(what);
        this.ifindex = ifindex;
        this.mode = mode;
        this.via = XdpOptions.Via.NETLINK;
        this.fallback = fallback;
        this.programId = programId;
        this.netlink = netlink;
        this.programFd = programFd;
    }

    public static XdpLink attach(BpfProgram program, String ifname, XdpMode mode) {
        return attach(program, Interfaces.index(ifname), mode);
    }

    /** Attaches in the given mode; {@link XdpMode#AUTO} tries driver mode, then generic. */
    public static XdpLink attach(BpfProgram program, int ifindex, XdpMode mode) {
        return attach(program, ifindex, XdpOptions.defaults().mode(mode));
    }

    public static XdpLink attach(BpfProgram program, String ifname, XdpOptions options) {
        return attach(program, Interfaces.index(ifname), options);
    }

    /**
     * Attaches {@code program} to interface {@code ifindex} of the calling thread's network
     * namespace as {@code options} say.
     *
     * @throws BpfException if the program is not an XDP program, the hook is taken (EBUSY,
     *         naming the program there), or every mode tried was refused (with the reasons)
     */
    public static XdpLink attach(BpfProgram program, int ifindex, XdpOptions options) {
        if (program.type() != ProgramType.XDP) {
            throw new BpfException("program " + program.name() + " is " + program.type() + ", XDP hooks need an XDP program");
        }
        List<XdpMode> modes = options.mode() == XdpMode.AUTO ? List.of(XdpMode.DRIVER, XdpMode.GENERIC) : List.of(options.mode());
        List<String> notes = new ArrayList<>();
        for (int i = 0; ; i++) {
            XdpMode m = modes.get(i);
            try {
                return attachMode(program, ifindex, m, options, notes);
            } catch (BpfException e) {
                if (Programs.busy(e.errno()) || i == modes.size() - 1) {
                    if (notes.isEmpty()) throw e;
                    throw new BpfException(e.getMessage() + " (before that: " + String.join("; ", notes) + ")", e);
                }
                notes.add(m + " mode refused: " + e.getMessage());
            }
        }
    }

    private static XdpLink attachMode(BpfProgram program, int ifindex, XdpMode m, XdpOptions o, List<String> notes) {
        String what = "XDP program " + program.name() + " to ifindex " + ifindex + " (" + m + ")";
        if (o.via() == XdpOptions.Via.NETLINK || o.replacing() != null) return viaNetlink(program, ifindex, m, o, notes, what);
        int r = tryCreate(program.fd(), ifindex, AttachType.XDP.value(), XdpNetlink.flags(m), null);
        if (r >= 0) return new XdpLink(new Fd(r), ifindex, m, program.id(), note(notes), what + " via BPF link");
        if (Programs.busy(-r)) throw taken(ifindex, m, -r, what, null);
        if (o.via() == XdpOptions.Via.AUTO && -r != Errno.EPERM && -r != Errno.ENODEV) {
            // kernels before 5.9 have no XDP links (EINVAL); for other refusals netlink is asked the same question
            // because only netlink answers with the driver's reason in words (extended ack)
            notes.add("BPF link refused with " + Errno.name(-r) + ", tried netlink");
            return viaNetlink(program, ifindex, m, o, notes, what);
        }
        throw BpfException.of("attach " + what + hint(m, -r), -r);
    }

    private static String hint(XdpMode m, int errno) {
        return switch (errno) {
            case Errno.ENODEV -> " (no such interface)";
            case Errno.EOPNOTSUPP, Errno.ENOTSUPP -> " (the driver does not support " + m + " mode)";
            case Errno.EINVAL -> m == XdpMode.OFFLOAD
                    ? " (offload needs a NIC that runs XDP programs and a program loaded for that device: ProgramSpec.ifindex)"
                    : "";
            default -> "";
        };
    }

    private static XdpLink viaNetlink(BpfProgram program, int ifindex, XdpMode m, XdpOptions o, List<String> notes, String what) {
        NetlinkSocket nl = NetlinkSocket.route();
        Fd own = null;
        try {
            own = Programs.dup(program.fd());
            int expected = o.replacing() != null ? o.replacing().fd() : -1;
            try {
                XdpNetlink.set(nl, ifindex, own.get(), m, expected, "attach " + what + " via netlink");
            } catch (NetlinkException e) {
                if (Programs.busy(e.errno()) && expected < 0) throw taken(ifindex, m, e.errno(), what + " via netlink", e.kernelMessage());
                String hint = e.kernelMessage() == null ? hint(m, e.errno()) : "";
                throw hint.isEmpty() ? e : new NetlinkException(e.getMessage() + hint, e.errno(), null);
            }
            return new XdpLink(nl, own, ifindex, m, program.id(), note(notes), what + " via netlink");
        } catch (RuntimeException e) {
            if (own != null) own.close();
            nl.close();
            throw e;
        }
    }

    private static BpfException taken(int ifindex, XdpMode m, int errno, String what, String kernelSays) {
        String there;
        try (NetlinkSocket nl = NetlinkSocket.route()) {
            XdpInfo info = XdpNetlink.query(nl, ifindex);
            there = info.isEmpty() ? "nothing visible (a concurrent change?)"
                    : info.programs().entrySet().stream()
                    .map(e -> Programs.describe(e.getValue()) + " in " + e.getKey() + " mode").reduce((x, y) -> x + ", " + y).orElse("");
        } catch (RuntimeException e) {
            there = "(could not query: " + e.getMessage() + ")";
        }
        String advice = there.contains("'" + ChainPrograms.DISPATCHER + "'")
                ? "; that is the dispatcher of the interface's XdpChain, which shares the hook: put the program into the chain "
                  + "(XdpChain.join, with PL_XDP_CHAIN_NEXT of packetlens_chain.h) instead of attaching it alone"
                : "; detach it first, or replace it on purpose with XdpOptions.replacing(program)";
        return BpfException.of("attach " + what + ": the XDP hook of ifindex " + ifindex + " is taken by " + there
                + (kernelSays != null ? " (kernel says \"" + kernelSays + "\")" : "") + advice, errno);
    }

    private static String note(List<String> notes) {
        return notes.isEmpty() ? null : String.join("; ", notes);
    }

    /** The XDP programs of interface {@code ifname} in the calling thread's network namespace. */
    public static XdpInfo query(String ifname) {
        return query(Interfaces.index(ifname));
    }

    public static XdpInfo query(int ifindex) {
        try (NetlinkSocket nl = NetlinkSocket.route()) {
            return XdpNetlink.query(nl, ifindex);
        }
    }

    /** Every interface of the calling thread's network namespace that has an XDP program (an RTM_GETLINK dump). */
    public static List<XdpInfo> queryAll() {
        try (NetlinkSocket nl = NetlinkSocket.route()) {
            return XdpNetlink.queryAll(nl).stream().filter(i -> !i.isEmpty()).toList();
        }
    }

    /** Every interface of the calling thread's network namespace, with its XDP programs if it has any. */
    public static List<XdpInfo> queryAllInterfaces() {
        try (NetlinkSocket nl = NetlinkSocket.route()) {
            return XdpNetlink.queryAll(nl);
        }
    }

    public int ifindex() {
        return ifindex;
    }

    /** The mode actually used (never AUTO). */
    public XdpMode mode() {
        return mode;
    }

    /** The mechanism actually used: {@link XdpOptions.Via#LINK} or {@link XdpOptions.Via#NETLINK}. */
    public XdpOptions.Via via() {
        return via;
    }

    /** What was refused before this attachment succeeded (a mode, or the BPF link), if anything. */
    public Optional<String> fallback() {
        return Optional.ofNullable(fallback);
    }

    /** The id of the attached program. */
    public int programId() {
        return programId;
    }

    @Override
    public boolean detachesOnExit() {
        return via == XdpOptions.Via.LINK;
    }

    /** Clears our program through netlink, but only if it is still the one attached (never someone else's). */
    @Override
    protected void release() {
        try {
            XdpNetlink.set(netlink, ifindex, -1, mode, programFd.get(), "detach " + description());
        } catch (NetlinkException e) {
            // EEXIST: replaced by another program since, which is not ours to remove; ENODEV: the interface is gone
            if (e.errno() != Errno.EEXIST && e.errno() != Errno.ENODEV) throw e;
        } finally {
            programFd.close();
            netlink.close();
        }
    }
}
