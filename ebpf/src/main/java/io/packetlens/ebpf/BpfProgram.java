package io.packetlens.ebpf;

import io.packetlens.ebpf.info.KernelObjects;
import io.packetlens.ebpf.info.ObjectKind;
import io.packetlens.ebpf.info.ProgramInfo;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

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
    /** id and tag, immutable for the program's life: read with the first info call and kept. */
    private volatile Identity identity;

    private record Identity(int id, String tag) {}

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

    /** The program the kernel numbers {@code id}, or empty if there is none (any more). */
    public static java.util.Optional<BpfProgram> findById(int id) {
        return KernelObjects.open(ObjectKind.PROGRAM, id).map(fd -> fromFd(fd, "program id " + id));
    }

    /** Opens the program the kernel numbers {@code id} (BPF_PROG_GET_FD_BY_ID; needs CAP_SYS_ADMIN). */
    public static BpfProgram openById(int id) {
        Fd fd = KernelObjects.open(ObjectKind.PROGRAM, id)
                .orElseThrow(() -> new BpfException.NotFoundException("no BPF program with id " + id + " (see `packetlens inspect`)"));
        return fromFd(fd, "program id " + id);
    }

    /** Wraps an fd that refers to a program (taking ownership), with its identity from one info read. */
    private static BpfProgram fromFd(Fd fd, String what) {
        try {
            // OBJ_GET_INFO_BY_FD answers for maps and links too, with another struct: check first
            String kind = fd.kind();
            if (!kind.equals("bpf-prog")) throw new BpfException(what + " is a " + kind + ", not a BPF program");
            ProgramInfo info = ProgramInfo.ofFd(fd.get());
            BpfProgram p = new BpfProgram(fd, info.name(), ProgramType.of(info.type()), null);
            p.identity = new Identity(info.id(), info.tag());
            return p;
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

    /** The kernel's id for the program (read once with {@link #info()}'s call and kept: it never changes). */
    public int id() {
        return identity().id();
    }

    /** The program's tag (hash of its instructions) as hex, as bpftool shows it; read once with the id. */
    public String tag() {
        return identity().tag();
    }

    /**
     * What the kernel says about the program now (one BPF_OBJ_GET_INFO_BY_FD): load time, maps, run statistics ...
     * Unlike {@link #id()} and {@link #tag()}, the statistics change, so each call reads afresh.
     */
    public ProgramInfo info() {
        ProgramInfo info = ProgramInfo.ofFd(fd.get());
        if (identity == null) identity = new Identity(info.id(), info.tag());
        return info;
    }

    /** The program as the verifier left it ({@link ProgramInfo#xlatedInstructions}): what the kernel runs, before the JIT. */
    public byte[] xlatedInstructions() {
        return ProgramInfo.xlatedInstructions(fd.get());
    }

    private Identity identity() {
        Identity i = identity;
        if (i == null) {
            info();
            i = identity;
        }
        return i;
    }

    /** The BTF this program was loaded with (its btf_id, opened and read back), if it has one. */
    public java.util.Optional<io.packetlens.ebpf.btf.Btf> btf() {
        return btfOf(fd.get());
    }

    /** The BTF of the program behind {@code programFd}, if it was loaded with one. */
    public static java.util.Optional<io.packetlens.ebpf.btf.Btf> btfOf(int programFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.ProgInfo.SIZE, 8);
            Bpf.info(programFd, info);
            int btfId = info.get(JAVA_INT, BpfAttr.ProgInfo.BTF_ID);
            if (btfId == 0) return java.util.Optional.empty();
            var btfFd = KernelObjects.open(ObjectKind.BTF, btfId);
            if (btfFd.isEmpty()) return java.util.Optional.empty();
            try (Fd f = btfFd.get()) {
                return java.util.Optional.of(io.packetlens.ebpf.btf.Btf.parse(io.packetlens.ebpf.info.BtfInfo.dataOfFd(f.get())));
            }
        }
    }

    /** Runs the program on {@code run.data()} with BPF_PROG_TEST_RUN. */
    public TestRun.Result testRun(TestRun run) {
        try (Arena arena = Arena.ofConfined()) {
            // no data at all is a NULL pointer: SYSCALL programs (run with only a context) refuse any data_in
            MemorySegment in = run.data().length == 0 ? MemorySegment.NULL : arena.allocateFrom(JAVA_BYTE, run.data());
            MemorySegment out = run.dataOutSize() > 0 ? arena.allocate(run.dataOutSize()) : MemorySegment.NULL;
            MemorySegment ctx = run.context() != null ? arena.allocateFrom(JAVA_BYTE, run.context()) : MemorySegment.NULL;
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.TestRun.PROG_FD, fd.get());
            a.set(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_IN, run.data().length);
            a.set(JAVA_INT, BpfAttr.TestRun.DATA_SIZE_OUT, run.dataOutSize());
            a.set(JAVA_LONG, BpfAttr.TestRun.DATA_IN, in.address());
            a.set(JAVA_LONG, BpfAttr.TestRun.DATA_OUT, out.address());
            a.set(JAVA_INT, BpfAttr.TestRun.REPEAT, run.repeat());
            a.set(JAVA_INT, BpfAttr.TestRun.FLAGS, run.flags());
            a.set(JAVA_INT, BpfAttr.TestRun.BATCH_SIZE, run.batchSize());
            if (run.context() != null) {
                a.set(JAVA_INT, BpfAttr.TestRun.CTX_SIZE_IN, run.context().length);
                a.set(JAVA_LONG, BpfAttr.TestRun.CTX_IN, ctx.address());
            }
            int r = Syscalls.bpf(BpfCmd.PROG_TEST_RUN, a, BpfAttr.TestRun.SIZE);
            if (r < 0) {
                String hint = r == -Errno.EINVAL && (run.flags() & TestRun.LIVE_FRAMES) != 0
                        ? " (live frames need an XDP program, kernel 5.18 or later, and a frame of at least 14 bytes that fits a page)"
                        : r == -Errno.EINVAL ? " (frame too short for the program type, or test-run unsupported for " + type + ")"
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
