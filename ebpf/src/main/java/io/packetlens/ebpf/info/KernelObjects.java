package io.packetlens.ebpf.info;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Every BPF object in the system, the way bpftool lists them: walk the ids with BPF_*_GET_NEXT_ID, open each with
 * BPF_*_GET_FD_BY_ID, read its info with BPF_OBJ_GET_INFO_BY_FD, close. Objects are freed concurrently by other
 * processes, so an id that is gone by the time it is opened (ENOENT) is skipped, not an error: the answer is every
 * object that lived through its own two calls. Needs CAP_SYS_ADMIN (the id walk is not namespaced).
 */
public final class KernelObjects {
    private KernelObjects() {}

    public static List<ProgramInfo> programs() {
        return walk(ObjectKind.PROGRAM, ProgramInfo::ofFd);
    }

    public static List<MapInfo> maps() {
        return walk(ObjectKind.MAP, MapInfo::ofFd);
    }

    public static List<LinkInfo> links() {
        return walk(ObjectKind.LINK, LinkInfo::ofFd);
    }

    public static List<BtfInfo> btfs() {
        return walk(ObjectKind.BTF, BtfInfo::ofFd);
    }

    /** Every id of {@code kind} now, in increasing order (no fd opened). */
    public static List<Integer> ids(ObjectKind kind) {
        List<Integer> out = new ArrayList<>();
        int id = 0;
        while (true) {
            int next = Bpf.nextId(kind.nextIdCmd, id);
            if (next == -Errno.ENOENT) return out;
            if (next < 0) throw failure(kind.nextIdCmd, kind, -next);
            out.add(next);
            id = next;
        }
    }

    public static Optional<ProgramInfo> program(int id) {
        return one(ObjectKind.PROGRAM, id, ProgramInfo::ofFd);
    }

    public static Optional<MapInfo> map(int id) {
        return one(ObjectKind.MAP, id, MapInfo::ofFd);
    }

    public static Optional<LinkInfo> link(int id) {
        return one(ObjectKind.LINK, id, LinkInfo::ofFd);
    }

    public static Optional<BtfInfo> btf(int id) {
        return one(ObjectKind.BTF, id, BtfInfo::ofFd);
    }

    /** The raw data of BTF object {@code id}, if it still exists. */
    public static Optional<byte[]> btfData(int id) {
        return one(ObjectKind.BTF, id, BtfInfo::dataOfFd);
    }

    /**
     * A new fd for object {@code id} of {@code kind}, owned by the caller, or empty if there is no such object (any
     * more). The object stays alive at least as long as the fd is open.
     */
    public static Optional<Fd> open(ObjectKind kind, int id) {
        int fd = Bpf.fdById(kind.fdByIdCmd, id);
        if (fd == -Errno.ENOENT) return Optional.empty();
        if (fd < 0) throw failure(kind.fdByIdCmd, kind, -fd);
        return Optional.of(new Fd(fd));
    }

    /** The info of object {@code id} read with {@code reader} on a temporary fd, or empty if it is gone. */
    public static <T> Optional<T> one(ObjectKind kind, int id, IntFunction<T> reader) {
        Optional<Fd> fd = open(kind, id);
        if (fd.isEmpty()) return Optional.empty();
        try (Fd f = fd.get()) {
            return Optional.of(reader.apply(f.get()));
        }
    }

    /** Reads every object of {@code kind} with {@code reader}, skipping those freed between the id walk and the open. */
    public static <T> List<T> walk(ObjectKind kind, IntFunction<T> reader) {
        List<T> out = new ArrayList<>();
        int id = 0;
        while (true) {
            int next = Bpf.nextId(kind.nextIdCmd, id);
            if (next == -Errno.ENOENT) return out;
            if (next < 0) throw failure(kind.nextIdCmd, kind, -next);
            one(kind, next, reader).ifPresent(out::add);
            id = next;
        }
    }

    private static BpfException failure(int cmd, ObjectKind kind, int errno) {
        String hint = errno == Errno.EPERM || errno == Errno.EACCES
                ? " (listing every " + kind.name().toLowerCase() + " in the system needs CAP_SYS_ADMIN: run as root)" : "";
        return BpfException.of(BpfCmd.name(cmd) + hint, errno);
    }
}
