package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.Fd;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A NETFILTER program on a netfilter hook of the calling thread's network namespace (BPF_LINK_TYPE_NETFILTER, 6.4+):
 * it runs beside nftables' chains at the same hook, in priority order, and returns NF_ACCEPT (1) or NF_DROP (0).
 * To attach in another namespace, attach from inside {@link io.packetlens.ebpf.netns.NetworkNamespace#call}.
 * Detached when closed or when its owner dies, unless pinned.
 */
public final class NetfilterLink extends Link {
    /** NFPROTO_IPV4, NFPROTO_IPV6. */
    public static final int IPV4 = 2, IPV6 = 10;
    /** enum nf_inet_hooks. */
    public static final int PRE_ROUTING = 0, LOCAL_IN = 1, FORWARD = 2, LOCAL_OUT = 3, POST_ROUTING = 4;
    /** BPF_F_NETFILTER_IP_DEFRAG: see reassembled datagrams (6.6+). */
    public static final int F_IP_DEFRAG = 1;

    private NetfilterLink(Fd fd, String what) {
        super(fd, what);
    }

    /**
     * Attaches {@code program} at {@code hook} for protocol family {@code family} ({@link #IPV4}, {@link #IPV6}) with
     * {@code priority} (not INT_MIN or INT_MAX, which netfilter reserves).
     */
    public static NetfilterLink attach(BpfProgram program, int family, int hook, int priority, int flags) {
        if (program.type() != ProgramType.NETFILTER) {
            throw new BpfException("program " + program.name() + " is " + program.type() + ": netfilter hooks take NETFILTER programs (section \"netfilter\")");
        }
        if (family != IPV4 && family != IPV6) throw new BpfException("netfilter family " + family + ": only IPV4 (2) and IPV6 (10)");
        if (hook < PRE_ROUTING || hook > POST_ROUTING) throw new BpfException("netfilter hook " + hook + ": PRE_ROUTING (0) to POST_ROUTING (4)");
        if (priority == Integer.MIN_VALUE || priority == Integer.MAX_VALUE) throw new BpfException("netfilter priority " + priority + " is reserved");
        String what = "netfilter program " + program.name() + " at " + (family == IPV4 ? "ipv4" : "ipv6") + " hook "
                + new String[] {"prerouting", "input", "forward", "output", "postrouting"}[hook] + " priority " + priority;
        return new NetfilterLink(create(program.fd(), 0, AttachType.NETFILTER.value(), 0, a -> {
            a.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_UNION, family);
            a.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_UNION + 4, hook);
            a.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_UNION + 8, priority);
            a.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_UNION + 12, flags);
        }, what), what);
    }
}
