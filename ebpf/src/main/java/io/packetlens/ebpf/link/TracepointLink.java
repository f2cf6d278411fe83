package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;
import io.packetlens.ebpf.tracing.Tracefs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A TRACEPOINT program on a kernel tracepoint such as skb:kfree_skb or xdp:xdp_exception:
 * a perf event of type PERF_TYPE_TRACEPOINT (perf_event_open, id from tracefs) with the
 * program attached through a BPF link (BPF_LINK_CREATE with BPF_PERF_EVENT, kernel 5.15+),
 * or with PERF_EVENT_IOC_SET_BPF on older kernels. The program runs on every CPU whichever
 * CPU the event was opened for. Detached when closed or when its owner dies. Needs tracefs
 * (mounted at /sys/kernel/tracing if it is not mounted anywhere).
 */
public final class TracepointLink extends Link {
    /** {@code struct perf_event_attr} fields used here, and the size passed (PERF_ATTR_SIZE_VER7). */
    static final int ATTR_TYPE = 0, ATTR_SIZE = 4, ATTR_CONFIG = 8, ATTR_SAMPLE_PERIOD = 16, ATTR_WAKEUP_EVENTS = 48,
            ATTR_CONFIG1 = 56, ATTR_CONFIG2 = 64;
    static final int ATTR_BYTES = 128;
    static final int PERF_TYPE_TRACEPOINT = 2;
    static final int PERF_FLAG_FD_CLOEXEC = 8;
    static final long PERF_EVENT_IOC_ENABLE = 0x2400, PERF_EVENT_IOC_SET_BPF = 0x40042408L;

    private final String tracepoint;
    private final Fd perfFd; // only without a BPF link: the event whose closing detaches the program

    private TracepointLink(Fd linkFd, String tracepoint, String what) {
        super(linkFd, what);
        this.tracepoint = tracepoint;
        this.perfFd = null;
    }

    private TracepointLink(String tracepoint, Fd perfFd, String what) {
        super(what);
        this.tracepoint = tracepoint;
        this.perfFd = perfFd;
    }

    /** Attaches {@code program} to tracepoint {@code category:name}. */
    public static TracepointLink attach(BpfProgram program, String category, String name) {
        return attach(program, category, name, 0);
    }

    /**
     * Attaches {@code program} to tracepoint {@code category:name}; {@code cookie} is what the
     * program's bpf_get_attach_cookie() returns (BPF link only).
     *
     * @throws BpfException if the program is not a TRACEPOINT program, the tracepoint does not
     *         exist, or perf_event_open or the attach fails
     */
    public static TracepointLink attach(BpfProgram program, String category, String name, long cookie) {
        if (program.type() != ProgramType.TRACEPOINT) {
            throw new BpfException("program " + program.name() + " is " + program.type()
                    + ", tracepoints take TRACEPOINT programs (section \"tracepoint/<category>/<name>\"); raw tracepoints: RawTracepointLink");
        }
        String tp = category + ":" + name;
        String what = "tracepoint program " + program.name() + " to " + tp;
        int id = Tracefs.eventId(category, name);
        Fd perf = openPerfEvent(id, tp);
        try {
            int r = tryCreate(program.fd(), perf.get(), AttachType.PERF_EVENT.value(), 0,
                    a -> a.set(JAVA_LONG, io.packetlens.ebpf.sys.BpfAttr.LinkCreate.PERF_EVENT_BPF_COOKIE, cookie));
            if (r >= 0) {
                // the link holds the event; our fd to it is not needed any more
                perf.close();
                return new TracepointLink(new Fd(r), tp, what + " via BPF link");
            }
            if (-r != Errno.EINVAL || cookie != 0) throw BpfException.of("attach " + what, -r);
            // kernels before 5.15: attach to the event itself
            int s = Syscalls.ioctl(perf.get(), PERF_EVENT_IOC_SET_BPF, program.fd());
            if (s < 0) throw BpfException.of("attach " + what + " (PERF_EVENT_IOC_SET_BPF)", -s);
            s = Syscalls.ioctl(perf.get(), PERF_EVENT_IOC_ENABLE, 0);
            if (s < 0) throw BpfException.of("enable perf event of " + tp, -s);
            return new TracepointLink(tp, perf, what + " via perf event ioctl");
        } catch (RuntimeException e) {
            perf.close();
            throw e;
        }
    }

    /** perf_event_open(PERF_TYPE_TRACEPOINT, config=id, pid=-1, cpu=0): a system-wide event. */
    static Fd openPerfEvent(int id, String tp) {
        return openPerfEvent(PERF_TYPE_TRACEPOINT, id, 0, 0, "tracepoint " + tp);
    }

    /**
     * perf_event_open of a system-wide event (pid -1 needs a cpu; a BPF program attached to it still runs on every
     * CPU) of PMU {@code type} with {@code config}, {@code config1} and {@code config2} (a kprobe's function name or a
     * uprobe's path, and its offset); {@code what} names it in errors.
     */
    static Fd openPerfEvent(int type, long config, long config1, long config2, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_BYTES, 8);
            attr.set(JAVA_INT, ATTR_TYPE, type);
            attr.set(JAVA_INT, ATTR_SIZE, ATTR_BYTES);
            attr.set(JAVA_LONG, ATTR_CONFIG, config);
            attr.set(JAVA_LONG, ATTR_SAMPLE_PERIOD, 1);
            attr.set(JAVA_INT, ATTR_WAKEUP_EVENTS, 1);
            attr.set(JAVA_LONG, ATTR_CONFIG1, config1);
            attr.set(JAVA_LONG, ATTR_CONFIG2, config2);
            long r = Syscalls.syscall(Syscalls.SYS_PERF_EVENT_OPEN, attr.address(), -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
            if (r < 0) {
                throw BpfException.of("perf_event_open for " + what + (r == -Errno.ENOENT ? " (no such function or tracepoint)" : "")
                        + (r == -Errno.EACCES || r == -Errno.EPERM ? " (needs root or CAP_PERFMON; see kernel.perf_event_paranoid)" : ""),
                        (int) -r);
            }
            return new Fd((int) r);
        }
    }

    /** The tracepoint, as "category:name". */
    public String tracepoint() {
        return tracepoint;
    }

    @Override
    public boolean detachesOnExit() {
        return true;
    }

    @Override
    protected void release() {
        perfFd.close();
    }
}
