package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.info.ProgramInfo;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** Helpers for links: naming a program by its id in messages, and holding fds of our own. */
final class Programs {
    private static final long SYS_FCNTL = 72;
    private static final int F_DUPFD_CLOEXEC = 1030;

    private Programs() {}

    /** "program 'name' (id N)" for an attached program, or "program id N" if it cannot be opened. */
    static String describe(int id) {
        if (id == 0) return "no program";
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.GetId.ID, id);
        int r = Syscalls.bpf(BpfCmd.PROG_GET_FD_BY_ID, a, BpfAttr.GetId.SIZE);
        if (r < 0) return "program id " + id;
        try (Fd fd = new Fd(r)) {
            return "program '" + ProgramInfo.ofFd(fd.get()).name() + "' (id " + id + ")";
        } catch (BpfException e) {
            return "program id " + id;
        }
    }

    /** A new close-on-exec fd for the same open file, so a link can outlive the caller's program or map object. */
    static Fd dup(int fd) {
        long r = Syscalls.syscall(SYS_FCNTL, fd, F_DUPFD_CLOEXEC, 0, 0, 0);
        if (r < 0) throw BpfException.of("dup fd " + fd, (int) -r);
        return new Fd((int) r);
    }

    /** Whether an errno means "something is already attached there". */
    static boolean busy(int errno) {
        return errno == Errno.EBUSY || errno == Errno.EEXIST;
    }
}
