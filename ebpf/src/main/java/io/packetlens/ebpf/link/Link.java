package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.info.KernelObjects;
import io.packetlens.ebpf.info.LinkInfo;
import io.packetlens.ebpf.info.ObjectKind;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * An attached program. Usually a BPF link ({@code struct bpf_link} behind an fd from
 * BPF_LINK_CREATE, BPF_RAW_TRACEPOINT_OPEN or BPF_OBJ_GET): the program stays attached
 * while the fd or a pin lives, so a process that dies detaches its programs, and closing
 * detaches unless the link was pinned. Attachments the kernel does not represent as a link
 * (an XDP program set through netlink, a cls_bpf filter, a socket filter, a program in a
 * sockmap) are Links too, without an fd: closing them undoes the attachment, and
 * {@link #detachesOnExit()} says whether the kernel would also do so if the process died.
 */
public class Link implements AutoCloseable {
    private final Fd fd;
    private final String description;
    private volatile boolean released;

    /** A BPF link owned through {@code fd} (the link types of this package). */
    Link(Fd fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /** An attachment that is not a BPF link: the subclass undoes it in {@link #release()}. */
    protected Link(String description) {
        this.fd = null;
        this.description = description;
    }

    /** BPF_LINK_CREATE; {@code extra} writes the attach-type-specific union (may be null). Throws with a hint on failure. */
    static Fd create(int progFd, int target, int attachType, int flags, Consumer<MemorySegment> extra, String what) {
        int r = tryCreate(progFd, target, attachType, flags, extra);
        if (r < 0) {
            String hint = switch (-r) {
                case Errno.EBUSY, Errno.EEXIST -> " (another program is already attached there)";
                case Errno.EINVAL -> " (wrong program type for this hook, or the kernel lacks this link type)";
                case Errno.ENODEV -> " (no such interface)";
                case Errno.EOPNOTSUPP, Errno.ENOTSUPP -> " (the driver does not support this mode)";
                default -> "";
            };
            throw BpfException.of("attach " + what + hint, -r);
        }
        return new Fd(r);
    }

    /** BPF_LINK_CREATE returning the fd or {@code -errno}, for callers that decide themselves what a failure means. */
    static int tryCreate(int progFd, int target, int attachType, int flags, Consumer<MemorySegment> extra) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.LinkCreate.PROG_FD, progFd);
        a.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_FD, target);
        a.set(JAVA_INT, BpfAttr.LinkCreate.ATTACH_TYPE, attachType);
        a.set(JAVA_INT, BpfAttr.LinkCreate.FLAGS, flags);
        if (extra != null) extra.accept(a);
        return Syscalls.bpf(BpfCmd.LINK_CREATE, a, BpfAttr.LinkCreate.SIZE);
    }

    /** Opens a link pinned in bpffs (to inspect it or detach it from a later process). */
    public static Link openPinned(Path path) {
        return new Link(new Fd(Bpf.objGet(path.toString())), "pinned link " + path);
    }

    /** Whether this is a kernel BPF link (with an fd, an id, and pinnable). */
    public boolean isBpfLink() {
        return fd != null;
    }

    /**
     * Whether the kernel undoes this attachment by itself when the owning process dies without
     * closing it (true for BPF links that are not pinned; false for XDP set through netlink and
     * for cls_bpf filters, which stay until removed).
     */
    public boolean detachesOnExit() {
        return isBpfLink();
    }

    /** The link's fd; only BPF links have one. */
    public int fd() {
        return requireLink("fd").get();
    }

    /** The kernel's link id; only BPF links have one. */
    public int id() {
        return info().id();
    }

    /** What the kernel says about this BPF link (one BPF_OBJ_GET_INFO_BY_FD): its program and where it is attached. */
    public LinkInfo info() {
        return LinkInfo.ofFd(requireLink("info").get());
    }

    /** Opens the BPF link the kernel numbers {@code id} (BPF_LINK_GET_FD_BY_ID; needs CAP_SYS_ADMIN), to inspect or detach it. */
    public static Link openById(int id) {
        Fd fd = KernelObjects.open(ObjectKind.LINK, id)
                .orElseThrow(() -> new BpfException.NotFoundException("no BPF link with id " + id + " (see `packetlens inspect`)"));
        return new Link(fd, "link id " + id);
    }

    /** Pins the link: it then stays attached after this process closes it or exits. Only BPF links can be pinned. */
    public void pin(Path path) {
        Bpf.pin(requireLink("pin").get(), path.toString());
    }

    /**
     * Puts {@code program} behind this link in one step (BPF_LINK_UPDATE): no packet sees the hook empty. A restarted
     * agent uses it to run its own code on a link the previous process pinned. Only BPF links can be updated, and
     * only with a program of the same type and attach type.
     */
    public void update(io.packetlens.ebpf.BpfProgram program) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.LinkUpdate.LINK_FD, requireLink("update").get());
        a.set(JAVA_INT, BpfAttr.LinkUpdate.NEW_PROG_FD, program.fd());
        Bpf.check(BpfCmd.LINK_UPDATE, a, BpfAttr.LinkUpdate.SIZE, "put " + program.name() + " behind " + description);
    }

    /** Detaches now: BPF_LINK_DETACH for a link (even if it is pinned or other fds refer to it), else undoes the attachment. */
    public void detach() {
        if (fd == null) {
            releaseOnce();
            return;
        }
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.SingleFd.FD, fd.get());
        Bpf.check(BpfCmd.LINK_DETACH, a, BpfAttr.SingleFd.SIZE, "detach " + description);
    }

    /** Undoes an attachment that is not a BPF link; called at most once. */
    protected void release() {
    }

    private void releaseOnce() {
        synchronized (this) {
            if (released) return;
            released = true;
        }
        release();
    }

    private Fd requireLink(String what) {
        if (fd == null) {
            throw new BpfException(description + " is not a BPF link, so it has no " + what
                    + " (it stays attached until closed, and cannot be pinned)");
        }
        return fd;
    }

    /** What is attached where, for messages. */
    public String description() {
        return description;
    }

    /** Closes the link fd (detaching unless pinned), or undoes a non-link attachment. Idempotent. */
    @Override
    public void close() {
        if (fd != null) fd.close();
        else releaseOnce();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + description + (fd != null ? " " + fd : "") + "]";
    }
}
