package io.packetlens.ebpf.sys;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Thin, allocation-free wrappers over the bpf(2) commands used on hot paths (element and
 * batch operations) and the small ones used everywhere (pin, get, freeze, info).
 * Element operations return 0 or {@code -errno}; the caller decides what is exceptional.
 */
public final class Bpf {
    private static final ThreadLocal<MemorySegment> ATTR =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(BpfAttr.MAX_SIZE, 8));

    private Bpf() {}

    /** The calling thread's zeroed attr buffer. */
    public static MemorySegment attr() {
        MemorySegment a = ATTR.get();
        a.fill((byte) 0);
        return a;
    }

    /** Runs a command and turns a failure into a typed exception naming {@code what}. */
    public static int check(int cmd, MemorySegment attr, int size, String what) {
        int r = Syscalls.bpf(cmd, attr, size);
        if (r < 0) throw BpfException.of(BpfCmd.name(cmd) + " (" + what + ")", -r);
        return r;
    }

    private static int elem(int cmd, int mapFd, MemorySegment key, MemorySegment value, long flags) {
        MemorySegment a = attr();
        a.set(JAVA_INT, BpfAttr.Elem.MAP_FD, mapFd);
        a.set(JAVA_LONG, BpfAttr.Elem.KEY, key.address());
        a.set(JAVA_LONG, BpfAttr.Elem.VALUE, value.address());
        a.set(JAVA_LONG, BpfAttr.Elem.FLAGS, flags);
        return Syscalls.bpf(cmd, a, BpfAttr.Elem.SIZE);
    }

    public static int lookup(int mapFd, MemorySegment key, MemorySegment value, long flags) {
        return elem(BpfCmd.MAP_LOOKUP_ELEM, mapFd, key, value, flags);
    }

    public static int update(int mapFd, MemorySegment key, MemorySegment value, long flags) {
        return elem(BpfCmd.MAP_UPDATE_ELEM, mapFd, key, value, flags);
    }

    public static int delete(int mapFd, MemorySegment key) {
        return elem(BpfCmd.MAP_DELETE_ELEM, mapFd, key, MemorySegment.NULL, 0);
    }

    public static int lookupAndDelete(int mapFd, MemorySegment key, MemorySegment value) {
        return elem(BpfCmd.MAP_LOOKUP_AND_DELETE_ELEM, mapFd, key, value, 0);
    }

    /** Next key after {@code key} (or the first key when key is NULL). */
    public static int nextKey(int mapFd, MemorySegment key, MemorySegment nextKey) {
        return elem(BpfCmd.MAP_GET_NEXT_KEY, mapFd, key, nextKey, 0);
    }

    /**
     * One batch command; returns 0 or {@code -errno} (ENOENT meaning "no more entries", with a
     * valid count). The number of elements processed is then {@link #batchCount()}.
     */
    public static int batch(int cmd, int mapFd, MemorySegment inBatch, MemorySegment outBatch,
                            MemorySegment keys, MemorySegment values, int count, long elemFlags) {
        MemorySegment a = attr();
        a.set(JAVA_LONG, BpfAttr.Batch.IN_BATCH, inBatch.address());
        a.set(JAVA_LONG, BpfAttr.Batch.OUT_BATCH, outBatch.address());
        a.set(JAVA_LONG, BpfAttr.Batch.KEYS, keys.address());
        a.set(JAVA_LONG, BpfAttr.Batch.VALUES, values.address());
        a.set(JAVA_INT, BpfAttr.Batch.COUNT, count);
        a.set(JAVA_INT, BpfAttr.Batch.MAP_FD, mapFd);
        a.set(JAVA_LONG, BpfAttr.Batch.ELEM_FLAGS, elemFlags);
        return Syscalls.bpf(cmd, a, BpfAttr.Batch.SIZE);
    }

    /** Elements processed by this thread's last {@link #batch} call. */
    public static int batchCount() {
        return ATTR.get().get(JAVA_INT, BpfAttr.Batch.COUNT);
    }

    /** Pins the object behind {@code fd} at a bpffs path. */
    public static void pin(int fd, String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocateFrom(path);
            MemorySegment a = attr();
            a.set(JAVA_LONG, BpfAttr.Obj.PATHNAME, p.address());
            a.set(JAVA_INT, BpfAttr.Obj.BPF_FD, fd);
            int r = Syscalls.bpf(BpfCmd.OBJ_PIN, a, BpfAttr.Obj.SIZE);
            if (r < 0) throw pathFailure("pin at " + path, path, -r);
        }
    }

    /** Opens a pinned object; returns a new fd. */
    public static int objGet(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocateFrom(path);
            MemorySegment a = attr();
            a.set(JAVA_LONG, BpfAttr.Obj.PATHNAME, p.address());
            int r = Syscalls.bpf(BpfCmd.OBJ_GET, a, BpfAttr.Obj.SIZE);
            if (r < 0) throw pathFailure("open pinned object " + path, path, -r);
            return r;
        }
    }

    /**
     * The exception for a failed pin or get: bpffs answers EPERM for a path outside bpffs or a
     * name with a '.', which is not a privilege problem, so then the path's problem is the message.
     */
    private static BpfException pathFailure(String operation, String path, int errno) {
        String problem = Bpffs.problem(java.nio.file.Path.of(path));
        if (!problem.isEmpty() && (errno == Errno.EPERM || errno == Errno.EACCES)) {
            return new BpfException(operation + problem + ": " + Errno.describe(errno), errno, null);
        }
        return BpfException.of(operation + problem, errno);
    }

    public static void freeze(int mapFd) {
        MemorySegment a = attr();
        a.set(JAVA_INT, BpfAttr.SingleFd.FD, mapFd);
        check(BpfCmd.MAP_FREEZE, a, BpfAttr.SingleFd.SIZE, "freeze map");
    }

    /** Fills {@code info} from BPF_OBJ_GET_INFO_BY_FD. */
    public static void info(int fd, MemorySegment info) {
        int r = tryInfo(fd, info);
        if (r < 0) throw BpfException.of(BpfCmd.name(BpfCmd.OBJ_GET_INFO_BY_FD) + " (object info)", -r);
    }

    /**
     * BPF_OBJ_GET_INFO_BY_FD into {@code info} (whose pointer fields the caller may have set to its own
     * buffers); returns the number of bytes the kernel filled in, or {@code -errno}.
     */
    public static int tryInfo(int fd, MemorySegment info) {
        MemorySegment a = attr();
        a.set(JAVA_INT, BpfAttr.Info.BPF_FD, fd);
        a.set(JAVA_INT, BpfAttr.Info.INFO_LEN, (int) info.byteSize());
        a.set(JAVA_LONG, BpfAttr.Info.INFO, info.address());
        int r = Syscalls.bpf(BpfCmd.OBJ_GET_INFO_BY_FD, a, BpfAttr.Info.SIZE);
        return r < 0 ? r : a.get(JAVA_INT, BpfAttr.Info.INFO_LEN);
    }

    /**
     * The id after {@code startId} of the kind that {@code cmd} walks (BPF_PROG/MAP/LINK/BTF_GET_NEXT_ID), or
     * {@code -ENOENT} past the last one, or another {@code -errno}.
     */
    public static int nextId(int cmd, int startId) {
        MemorySegment a = attr();
        a.set(JAVA_INT, BpfAttr.GetId.START_ID, startId);
        int r = Syscalls.bpf(cmd, a, BpfAttr.GetId.SIZE);
        return r < 0 ? r : a.get(JAVA_INT, BpfAttr.GetId.NEXT_ID);
    }

    /** A new fd for the object {@code id} (BPF_*_GET_FD_BY_ID), or {@code -errno} (ENOENT: it is gone). */
    public static int fdById(int cmd, int id) {
        MemorySegment a = attr();
        a.set(JAVA_INT, BpfAttr.GetId.ID, id);
        return Syscalls.bpf(cmd, a, BpfAttr.GetId.SIZE);
    }
}
