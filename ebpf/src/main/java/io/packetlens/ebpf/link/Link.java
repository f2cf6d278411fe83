package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Errno;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A BPF link ({@code struct bpf_link} behind an fd from BPF_LINK_CREATE): the program stays
 * attached while the fd (or a pin) lives, so a process that dies detaches its programs.
 * Closing detaches unless the link was pinned.
 */
public class Link implements AutoCloseable {
    private final Fd fd;
    private final String description;

    protected Link(Fd fd, String description) {
        this.fd = fd;
        this.description = description;
    }

    /** BPF_LINK_CREATE; {@code extra} writes the attach-type-specific union (may be null). */
    static Fd create(int progFd, int target, int attachType, int flags, java.util.function.Consumer<MemorySegment> extra, String what) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.LinkCreate.PROG_FD, progFd);
        a.set(JAVA_INT, BpfAttr.LinkCreate.TARGET_FD, target);
        a.set(JAVA_INT, BpfAttr.LinkCreate.ATTACH_TYPE, attachType);
        a.set(JAVA_INT, BpfAttr.LinkCreate.FLAGS, flags);
        if (extra != null) extra.accept(a);
        int r = Syscalls.bpf(BpfCmd.LINK_CREATE, a, BpfAttr.LinkCreate.SIZE);
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

    /** Opens a link pinned in bpffs (to inspect it or detach it from a later process). */
    public static Link openPinned(Path path) {
        return new Link(new Fd(Bpf.objGet(path.toString())), "pinned link " + path);
    }

    public int fd() {
        return fd.get();
    }

    /** The kernel's link id. */
    public int id() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.LinkInfo.SIZE, 8);
            Bpf.info(fd.get(), info);
            return info.get(JAVA_INT, BpfAttr.LinkInfo.ID);
        }
    }

    /** Pins the link: it then stays attached after this process closes it or exits. */
    public void pin(Path path) {
        Bpf.pin(fd.get(), path.toString());
    }

    /** Detaches now (BPF_LINK_DETACH), even if the link is pinned or other fds refer to it. */
    public void detach() {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.SingleFd.FD, fd.get());
        Bpf.check(BpfCmd.LINK_DETACH, a, BpfAttr.SingleFd.SIZE, "detach " + description);
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "Link[" + description + " " + fd + "]";
    }
}
