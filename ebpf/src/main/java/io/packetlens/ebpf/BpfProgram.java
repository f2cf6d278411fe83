package io.packetlens.ebpf;

import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HexFormat;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A loaded program, owned through its fd (the kernel frees it when the last fd and
 * attachment are gone). Runs on crafted input with BPF_PROG_TEST_RUN, pins to bpffs, and
 * is what links attach.
 */
public final class BpfProgram implements AutoCloseable {
    private final Fd fd;
    private final String name;
    private final ProgramType type;
    private final AttachType attachType;

    BpfProgram(Fd fd, String name, ProgramType type, AttachType attachType) {
        this.fd = fd;
        this.name = name;
        this.type = type;
        this.attachType = attachType;
    }

    /** Loads a single program spec outside an object (it must not reference maps by name). */
    public static BpfProgram load(ProgramSpec spec) {
        if (!spec.mapReferences().isEmpty()) throw new BpfException("program " + spec.name() + " references maps: load it through its ObjectSpec");
        return ProgramLoader.load(spec, spec.instructions(), -1, LoadOptions.defaults());
    }

    /** Opens a program pinned in bpffs. */
    public static BpfProgram openPinned(Path path) {
        return fromFd(new Fd(Bpf.objGet(path.toString())), "pinned object " + path);
    }

    /**
     * Opens a program by its kernel id (BPF_PROG_GET_FD_BY_ID, needs CAP_SYS_ADMIN), e.g. one attached by another
     * process, to test-run or inspect it; empty if no program has that id any more.
     */
    public static java.util.Optional<BpfProgram> openById(int id) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.GetId.ID, id);
        int r = Syscalls.bpf(BpfCmd.PROG_GET_FD_BY_ID, a, BpfAttr.GetId.SIZE);
        if (r == -Errno.ENOENT) return java.util.Optional.empty();
        if (r < 0) throw BpfException.of("open program id " + id, -r);
        return java.util.Optional.of(fromFd(new Fd(r), "program id " + id));
    }

    private static BpfProgram fromFd(Fd fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            // OBJ_GET_INFO_BY_FD answers for maps and links too, with another struct: check first
            String kind = fd.kind();
            if (!kind.equals("bpf-prog")) throw new BpfException(what + " is a " + kind + ", not a BPF program");
            MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
            Bpf.info(fd.get(), info);
            byte[] n = info.asSlice(BpfAttr.ProgInfo.NAME, 16).toArray(JAVA_BYTE);
            int len = 0;
            while (len < n.length && n[len] != 0) len++;
            return new BpfProgram(fd, new String(n, 0, len), ProgramType.of(info.get(JAVA_INT, BpfAttr.ProgInfo.TYPE)), null);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    public String name() { return name; }
    public ProgramType type() { return type; }
    /** Expected attach type given at load, or null. */
    public AttachType attachType() { return attachType; }

    public int fd() {
        return fd.get();
    }

    /** The kernel's id for the program. */
    public int id() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
            Bpf.info(fd.get(), info);
            return info.get(JAVA_INT, BpfAttr.ProgInfo.ID);
        }
    }

    /** The program's tag (hash of its instructions) as hex, as bpftool shows it. */
    public String tag() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
            Bpf.info(fd.get(), info);
            return HexFormat.of().formatHex(info.asSlice(BpfAttr.ProgInfo.TAG, 8).toArray(JAVA_BYTE));
        }
    }

    /** Runs the program on {@code run.data()} with BPF_PROG_TEST_RUN. */
    public TestRun.Result testRun(TestRun run) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(JAVA_BYTE, run.data());
            MemorySegment out = run.dataOutSize() > 0 ? arena.allocate(run.dataOutSize()) : MemorySegment.NULL;
            MemorySegment ctx = run.context() != null ? arena.allocateFrom(JAVA_BYTE, run.context()) : MemorySegment.NULL;
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.TestRun.PROG_FD, fd.get());
            a.set(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_IN, run.data().length);
            a.set(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_OUT, run.dataOutSize());
            a.set(JAVA_LONG, BpfAttr.TestRun.DATA_IN, in.address());
            a.set(JAVA_LONG, BpfAttr.TestRun.DATA_OUT, out.address());
            a.set(JAVA_INT, BpfAttr.TestRun.REPEAT, run.repeat());
            if (run.context() != null) {
                a.set(JAVA_INT, BpfAttr.TestRun.CTX_SIZE_IN, run.context().length);
                a.set(JAVA_LONG, BpfAttr.TestRun.CTX_IN, ctx.address());
            }
            int r = Syscalls.bpf(BpfCmd.PROG_TEST_RUN, a, BpfAttr.TestRun.SIZE);
            if (r < 0) {
                String hint = r == -Errno.EINVAL ? " (frame too short for the program type, or test-run unsupported for " + type + ")"
                        : r == -Errno.ENOSPC ? " (output frame larger than dataOutSize " + run.dataOutSize() + ")" : "";
                throw BpfException.of("test-run of program " + name + hint, -r);
            }
            int outLen = a.get(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_OUT);
            byte[] data = out.equals(MemorySegment.NULL) ? new byte[0] : out.asSlice(0, Math.min(outLen, run.dataOutSize())).toArray(JAVA_BYTE);
            return new TestRun.Result(a.get(JAVA_INT, BpfAttr.TestRun.RETVAL), data,
                    Integer.toUnsignedLong(a.get(JAVA_INT, BpfAttr.TestRun.DURATION)));
        }
    }

    /** Pins the program at {@code path} on a bpf file system. */
    public void pin(Path path) {
        Bpf.pin(fd.get(), path.toString());
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "BpfProgram[" + name + " " + type + " " + fd + "]";
    }
}
