package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.features.Features;
import io.packetlens.ebpf.features.KernelVersion;
import io.packetlens.ebpf.netlink.NetlinkException;
import io.packetlens.ebpf.netlink.NetlinkSocket;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A SCHED_CLS program on an interface's TC ingress or egress hook, one API for two kernel
 * mechanisms: a tcx link (BPF_LINK_CREATE with BPF_TCX_INGRESS / BPF_TCX_EGRESS, kernel
 * 6.6+; ordered with BPF_F_BEFORE / BPF_F_AFTER; detached when closed or when its owner
 * dies) or, on older kernels or when asked, a direct-action cls_bpf filter on a clsact
 * qdisc made over rtnetlink (stays until closed, even if the process dies; the qdisc is
 * removed with the last filter this JVM put there if this JVM created it). Programs should
 * return TC_ACT_UNSPEC (-1, TCX_NEXT) to let the next program run, TC_ACT_OK to pass,
 * TC_ACT_SHOT to drop.
 */
public final class TcLink extends Link {
    /** tcx attach flags of linux/bpf.h. */
    static final int BPF_F_BEFORE = 1 << 3, BPF_F_AFTER = 1 << 4, BPF_F_ID = 1 << 5, BPF_F_LINK = 1 << 13;

    private final int ifindex;
    private final TcDirection direction;
    private final TcOptions.Via via;
    private final int programId;
    private final String fallback;
    // clsact only
    private final NetlinkSocket netlink;
    private final Clsact.Filter filter;
    private final Object qdiscKey;

    private TcLink(Fd fd, int ifindex, TcDirection direction, int programId, String fallback, String what) {
        super(fd, what);
        this.ifindex = ifindex;
        this.direction = direction;
        this.via = TcOptions.Via.TCX;
        this.programId = programId;
        this.fallback = fallback;
        this.netlink = null;
        this.filter = null;
        this.qdiscKey = null;
    }

    private TcLink(NetlinkSocket netlink, Clsact.Filter filter, Object qdiscKey, int ifindex, TcDirection direction, int programId,
                   String fallback, String what) {
        super(what);
        this.ifindex = ifindex;
        this.direction = direction;
        this.via = TcOptions.Via.CLSACT;
        this.programId = programId;
        this.fallback = fallback;
        this.netlink = netlink;
        this.filter = filter;
        this.qdiscKey = qdiscKey;
    }

    public static TcLink attach(BpfProgram program, String ifname, TcDirection direction) {
        return attach(program, Interfaces.index(ifname), direction, TcOptions.defaults());
    }

    public static TcLink attach(BpfProgram program, String ifname, TcDirection direction, TcOptions options) {
        return attach(program, Interfaces.index(ifname), direction, options);
    }

    /**
     * Attaches {@code program} to hook {@code direction} of interface {@code ifindex} in the
     * calling thread's network namespace.
     *
     * @throws BpfException if the program is not SCHED_CLS, is already on this hook (tcx), the
     *         filter priority and handle are taken (clsact), or the anchor is not on this hook
     */
    public static TcLink attach(BpfProgram program, int ifindex, TcDirection direction, TcOptions options) {
        if (program.type() != ProgramType.SCHED_CLS) {
            throw new BpfException("program " + program.name() + " is " + program.type()
                    + ", TC hooks need a SCHED_CLS program (section \"tc\", \"tcx/ingress\" or \"tcx/egress\")");
        }
        String what = "TC program " + program.name() + " to " + direction + " of ifindex " + ifindex;
        if (options.via() == TcOptions.Via.CLSACT) return viaClsact(program, ifindex, direction, options, null, what);
        int[] rel = relative(options);
        int r = tryCreate(program.fd(), ifindex, direction.tcx.value(), rel[0], a -> {
            a.set(JAVA_INT, BpfAttr.LinkCreate.RELATIVE_FD, rel[1]);
        });
        if (r >= 0) return new TcLink(new Fd(r), ifindex, direction, program.id(), null, what + " via tcx");
        if (-r == Errno.EINVAL && !Features.hasTcx()) {
            // kernels before 6.6 know no tcx attach type: AUTO falls back unless the caller asked for tcx ordering
            String noTcx = "tcx links need kernel 6.6+ (this kernel: " + KernelVersion.current() + ")";
            if (options.via() == TcOptions.Via.AUTO && options.position() == TcOptions.Position.LAST) {
                return viaClsact(program, ifindex, direction, options, noTcx + ", used clsact", what);
            }
            throw BpfException.of("attach " + what + " via tcx: " + noTcx + (options.via() == TcOptions.Via.AUTO
                    ? "; position " + options.position() + " is a tcx feature (clsact filters are ordered by priority)"
                    : "; use TcOptions.via(AUTO) or via(CLSACT) for a clsact filter"), -r);
        }
        throw BpfException.of("attach " + what + " via tcx" + switch (-r) {
            case Errno.EEXIST -> " (this program is already on this hook; load another instance to run it twice)";
            case Errno.ENOENT -> " (the program or link to be placed before or after is not on this hook)";
            case Errno.ENODEV -> " (no such interface)";
            default -> "";
        }, -r);
    }

    /** {flags, relative fd or id} for the options' position. */
    private static int[] relative(TcOptions o) {
        int flags = switch (o.position()) {
            case LAST -> 0;
            case FIRST -> BPF_F_BEFORE;
            case BEFORE -> BPF_F_BEFORE;
            case AFTER -> BPF_F_AFTER;
        };
        Object rel = o.relativeTo();
        if (rel instanceof BpfProgram p) return new int[] {flags, p.fd()};
        if (rel instanceof TcLink l) {
            if (!l.isBpfLink()) throw new BpfException("cannot order relative to " + l.description() + ": it is a clsact filter, not a tcx link");
            return new int[] {flags | BPF_F_LINK, l.fd()};
        }
        if (rel instanceof Integer id) return new int[] {flags | BPF_F_ID, id};
        return new int[] {flags, 0};
    }

    private static TcLink viaClsact(BpfProgram program, int ifindex, TcDirection dir, TcOptions o, String fallback, String what) {
        NetlinkSocket nl = NetlinkSocket.route();
        Object key = null;
        try {
            key = Clsact.acquire(nl, ifindex);
            Clsact.Filter f;
            try {
                f = Clsact.add(nl, ifindex, dir, program.fd(), program.name(), o.priority(), o.handle(), "attach " + what + " via clsact");
            } catch (NetlinkException e) {
                if (e.errno() == Errno.EEXIST) {
                    throw new NetlinkException(e.getMessage() + " (a filter with priority " + o.priority() + " and handle " + o.handle()
                            + " is already on this hook: choose another priority or handle)", e.errno(), e.kernelMessage());
                }
                throw e;
            }
            return new TcLink(nl, f, key, ifindex, dir, program.id(), fallback,
                    what + " via clsact (priority " + f.priority() + ", handle " + f.handle() + ")");
        } catch (RuntimeException e) {
            if (key != null) {
                try {
                    Clsact.release(nl, key);
                } catch (RuntimeException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            nl.close();
            throw e;
        }
    }

    /** The programs on a hook of interface {@code ifname} in the calling thread's network namespace. */
    public static TcInfo query(String ifname, TcDirection direction) {
        return query(Interfaces.index(ifname), direction);
    }

    public static TcInfo query(int ifindex, TcDirection direction) {
        List<Integer> progs = new ArrayList<>();
        List<Integer> links = new ArrayList<>();
        long revision = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int capacity = 16; ; capacity *= 4) {
                MemorySegment progIds = arena.allocate(4L * capacity, 4);
                MemorySegment linkIds = arena.allocate(4L * capacity, 4);
                MemorySegment a = Bpf.attr();
                a.set(JAVA_INT, BpfAttr.Query.TARGET_IFINDEX, ifindex);
                a.set(JAVA_INT, BpfAttr.Query.ATTACH_TYPE, direction.tcx.value());
                a.set(JAVA_LONG, BpfAttr.Query.PROG_IDS, progIds.address());
                a.set(JAVA_LONG, BpfAttr.Query.LINK_IDS, linkIds.address());
                a.set(JAVA_INT, BpfAttr.Query.COUNT, capacity);
                int r = Syscalls.bpf(BpfCmd.PROG_QUERY, a, BpfAttr.Query.SIZE);
                int count = a.get(JAVA_INT, BpfAttr.Query.COUNT);
                if (r == -Errno.ENOSPC) continue;
                if (r == -Errno.EINVAL) break; // no tcx on this kernel: only filters to report
                if (r < 0) throw BpfException.of("query tcx " + direction + " of ifindex " + ifindex, -r);
                for (int i = 0; i < count; i++) {
                    progs.add(progIds.getAtIndex(JAVA_INT, i));
                    links.add(linkIds.getAtIndex(JAVA_INT, i));
                }
                revision = a.get(JAVA_LONG, BpfAttr.Query.REVISION);
                break;
            }
        }
        List<TcInfo.Filter> filters;
        try (NetlinkSocket nl = NetlinkSocket.route()) {
            filters = Clsact.filters(nl, ifindex, direction).stream()
                    .map(f -> new TcInfo.Filter(f.priority(), f.handle(), f.programId(), f.name(), f.directAction())).toList();
        }
        return new TcInfo(ifindex, direction, progs, links, revision, filters);
    }

    public int ifindex() {
        return ifindex;
    }

    public TcDirection direction() {
        return direction;
    }

    /** The mechanism used: {@link TcOptions.Via#TCX} or {@link TcOptions.Via#CLSACT}. */
    public TcOptions.Via via() {
        return via;
    }

    public int programId() {
        return programId;
    }

    /** The cls_bpf filter's priority (clsact only; 0 for tcx). */
    public int priority() {
        return filter == null ? 0 : filter.priority();
    }

    /** The cls_bpf filter's handle (clsact only; 0 for tcx). */
    public int handle() {
        return filter == null ? 0 : filter.handle();
    }

    /** Why tcx was not used, when AUTO fell back to clsact. */
    public Optional<String> fallback() {
        return Optional.ofNullable(fallback);
    }

    @Override
    public boolean detachesOnExit() {
        return via == TcOptions.Via.TCX;
    }

    /** Deletes our filter (by priority and handle), then gives up our use of the clsact qdisc. */
    @Override
    protected void release() {
        try {
            Clsact.delete(netlink, ifindex, filter, "detach " + description());
        } catch (NetlinkException e) {
            // ENOENT: already deleted; ENODEV / EINVAL: the interface or its qdisc is gone
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENODEV && e.errno() != Errno.EINVAL) throw e;
        } finally {
            try {
                Clsact.release(netlink, qdiscKey);
            } finally {
                netlink.close();
            }
        }
    }
}
