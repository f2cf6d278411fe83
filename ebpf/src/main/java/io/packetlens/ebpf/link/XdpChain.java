package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.LoadOptions;
import io.packetlens.ebpf.MapSpec;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.Variable;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Bpffs;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One interface's XDP hook shared by several programs, in one process or several: a dispatcher attached to the
 * interface (an XDP link) tail-calls the slots of a prog array in order, from the lowest occupied one (the dispatcher
 * is replaced behind its link whenever that moves), and each member program, where it would
 * return {@code XDP_PASS}, tail-calls the next non-empty slot after its own ({@code PL_XDP_CHAIN_NEXT} of
 * {@code packetlens_chain.h}, the kernel half of this class). The chain mirrors no kernel structure of its own: it is
 * a {@code BPF_MAP_TYPE_PROG_ARRAY} ({@code chain}) plus two arrays of records ({@code owners}: {@code struct
 * pl_xdp_chain_owner} per slot; {@code meta}: {@code struct pl_xdp_chain_meta}), pinned under
 * {@code <root>/<netns inode>-<ifname>/} so that every process finds the same chain. docs/XDP-CHAIN.md describes the
 * protocol, the slots and the lifetimes.
 *
 * <p>Lifetimes ({@link Lifetime}): a {@link Lifetime#PINNED pinned} member sits in its slot itself and stays until
 * someone removes it ({@link Member#remove()}, {@link #remove(int)}); a {@link Lifetime#PROCESS process-scoped} member
 * runs from a one-entry prog array that only its process holds, through a stub in its slot. When that process exits,
 * however it ends (SIGKILL included), the kernel empties the array as the last user reference goes, so the member
 * stops running at once and the stub passes packets on to the next slot. The stub and the owner record are cleared
 * the next time any process opens or changes the chain. The dispatcher's link is pinned while the chain has a pinned
 * member; otherwise only the processes that have the chain open hold it, so when the last of them dies nothing stays
 * attached. A chain with no members left is removed (dispatcher detached, pins and directory deleted) when the last
 * handle of the process that emptied it closes (a handle another process still has open puts it back at its next
 * change), or, if its last holders died, by the next process that opens it.
 *
 * <p>Every change happens under an flock of the root directory. A handle is used from one thread at a time.
 *
 * <pre>{@code
 * ObjectSpec spec = ObjectSpec.fromResource(Guard.class, "/guard.bpf.o");     // built with packetlens_chain.h
 * try (XdpChain.Member m = XdpChain.join("eth0", spec, "guard_xdp", XdpChain.SLOT_GUARD, XdpChain.Lifetime.PINNED)) {
 *     BpfObject guard = m.object();                                          // fill its maps
 * }
 * }</pre>
 */
public final class XdpChain implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("packetlens.ebpf");

    /** Slots of a chain (PL_XDP_CHAIN_SLOTS); lower slots run first. */
    public static final int SLOTS = ChainLayout.SLOTS;
    /** Slots by role (PL_XDP_SLOT_*): a firewall first, the flow monitor next, capture after it, a load balancer last. */
    public static final int SLOT_GUARD = 10, SLOT_FLOW = 20, SLOT_CAPTURE = 30, SLOT_LOAD_BALANCER = 40;
    /** The prog array every member declares (and is loaded with this chain's instead). */
    public static final String CHAIN_MAP = "pl_xdp_chain";
    /** The {@code .rodata} constant holding a member's slot. */
    public static final String SLOT_VARIABLE = "pl_xdp_chain_slot";
    /** Where chains are pinned by default: {@code /sys/fs/bpf/packetlens/xdp/<netns inode>-<ifname>/}. */
    public static final Path DEFAULT_ROOT = Path.of("/sys/fs/bpf/packetlens/xdp");

    static final String PIN_CHAIN = "chain", PIN_OWNERS = "owners", PIN_META = "meta", PIN_LINK = "link";
    private static final String OWNERS_MAP = "pl_xdp_owners", META_MAP = "pl_xdp_meta", INNER_MAP = "pl_xdp_member";

    /** How long a member stays in its slot. */
    public enum Lifetime {
        /** Until its process exits or closes it (the kernel takes it out when the process dies, even by SIGKILL). */
        PROCESS,
        /** Until removed ({@link Member#remove()}, {@link XdpChain#remove(int)}): it outlives its process. */
        PINNED
    }

    /** What occupies a slot, as {@link #slots()} reports it. */
    public enum SlotKind {
        /** A pinned member. */
        PINNED,
        /** The stub of a process-scoped member (alive or not: {@link SlotInfo#alive()}). */
        PROCESS,
        /** The end program after the last member. */
        END,
        /** A program without an owner record (put there by a tool that does not keep the records). */
        UNRECORDED
    }

    /**
     * One occupied slot.
     *
     * @param programId the member program (for {@link SlotKind#PROCESS}, the member the stub runs)
     * @param name      the member program's name
     * @param pid       the owning process (0 for pinned members)
     * @param alive     false for a process-scoped member whose process is gone (its stub only passes packets on)
     */
    public record SlotInfo(int slot, SlotKind kind, int programId, String name, int pid, boolean alive) {}

    /** struct pl_xdp_chain_owner, as read. */
    private record Owner(int flags, int pid, long startTime, int progId, int slotProgId, int innerMapId, int pidNs, String name) {
        static final Owner FREE = new Owner(0, 0, 0, 0, 0, 0, 0, "");

        boolean member() {
            return (flags & ChainLayout.F_MEMBER) != 0;
        }

        boolean end() {
            return (flags & ChainLayout.F_END) != 0;
        }
    }

    private final Path root;
    private final Path dir;
    private final String ifname;
    private final int ifindex;
    private final long netns;
    private final BpfMap chain;
    private final BpfMap owners;
    private final BpfMap meta;
    private XdpMode mode;
    private int dispatcherId;
    private int linkId;
    /** Our fd of the dispatcher's link (null while the chain has none). */
    private Link link;
    private BpfProgram endProgram;
    /** This handle plus its members that are still open. */
    private int refs = 1;
    private boolean closed;

    private XdpChain(Path root, Path dir, String ifname, int ifindex, long netns, BpfMap chain, BpfMap owners, BpfMap meta,
                     XdpMode mode) {
        this.root = root;
        this.dir = dir;
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.netns = netns;
        this.chain = chain;
        this.owners = owners;
        this.meta = meta;
        this.mode = mode;
    }

    // ---------------------------------------------------------------- opening

    /** {@link #open(String, XdpChainOptions)} with {@link XdpChainOptions#defaults()}. */
    public static XdpChain open(String ifname) {
        return open(ifname, XdpChainOptions.defaults());
    }

    /**
     * Opens the chain of interface {@code ifname} in the calling thread's network namespace, creating it (and
     * attaching its dispatcher in {@code options.mode()}) if there is none. Clears what dead processes left: stubs of
     * process-scoped members whose process is gone, a chain with no members, a chain pinned for an earlier interface
     * of the same name.
     *
     * @throws BpfException if the interface's XDP hook is taken by a program that is not this chain's dispatcher
     *                      (naming it), or the root is not on a bpf file system
     */
    public static XdpChain open(String ifname, XdpChainOptions options) {
        int ifindex = Interfaces.index(ifname);
        long netns = currentNetns();
        Path root = prepareRoot(options.root());
        Path dir = root.resolve(directoryName(netns, ifname));
        return ChainLock.with(root, () -> {
            XdpChain existing = Files.exists(dir) ? adopt(root, dir, ifname, ifindex, netns) : null;
            return existing != null ? existing : create(root, dir, ifname, ifindex, netns, options.mode());
        });
    }

    /**
     * Whether interface {@code ifname} (calling thread's network namespace) has a chain under {@code root} with its
     * dispatcher attached. Changes nothing.
     */
    public static boolean exists(String ifname, Path root) {
        int ifindex = Interfaces.index(ifname);
        Path dir = root.resolve(directoryName(currentNetns(), ifname));
        if (!Files.exists(dir.resolve(PIN_META))) return false;
        try (BpfMap m = BpfMap.openPinned(dir.resolve(PIN_META)); Arena arena = Arena.ofConfined()) {
            MemorySegment v = readMeta(m, arena);
            if (v == null || v.get(JAVA_INT, ChainLayout.Meta.IFINDEX) != ifindex) return false;
            Link l = findLink(dir, v.get(JAVA_INT, ChainLayout.Meta.LINK_ID), v.get(JAVA_INT, ChainLayout.Meta.DISPATCHER_ID), ifindex, ifname);
            if (l == null) return false;
            l.close();
            return true;
        } catch (BpfException e) {
            return false;
        }
    }

    /**
     * Prepares an object built with {@code packetlens_chain.h} for {@code slot}: sets {@code pl_xdp_chain_slot}.
     * Load it with {@link #loadOptions(LoadOptions)} so its {@code pl_xdp_chain} is this chain's.
     *
     * @throws BpfException naming what is missing if the object was not built with the header (or with another
     *                      version of it)
     */
    public static ObjectSpec prepare(ObjectSpec spec, int slot) {
        checkSlot(slot);
        MapSpec m = spec.maps().get(CHAIN_MAP);
        if (m == null) {
            throw new BpfException("object " + spec.name() + " declares no map " + CHAIN_MAP + ": build its XDP program with "
                    + "#include \"packetlens_chain.h\" and return PL_XDP_CHAIN_NEXT(ctx) where it passes a packet");
        }
        if (m.type() != MapType.PROG_ARRAY || m.keySize() != 4 || m.valueSize() != 4 || m.maxEntries() != SLOTS) {
            throw new BpfException("object " + spec.name() + ": map " + CHAIN_MAP + " is " + m + ", this library's chains are "
                    + "PROG_ARRAY of " + SLOTS + " u32 slots (rebuild against this packetlens_chain.h)");
        }
        Variable v = spec.variables().get(SLOT_VARIABLE);
        if (v == null || v.size() != 4 || !v.isConstant()) {
            throw new BpfException("object " + spec.name() + " has no const volatile __u32 " + SLOT_VARIABLE
                    + " in .rodata (rebuild against this packetlens_chain.h)");
        }
        v.set(slot);
        return spec;
    }

    /** {@code base} with this chain's prog array in place of the object's {@code pl_xdp_chain}. */
    public LoadOptions loadOptions(LoadOptions base) {
        Map<String, BpfMap> maps = new HashMap<>(base.replaceMaps());
        maps.put(CHAIN_MAP, chain);
        return base.replaceMaps(maps);
    }

    // ---------------------------------------------------------------- members

    /**
     * Opens the chain of {@code ifname} ({@link XdpChainOptions#defaults()}), loads {@code spec} for {@code slot} with
     * the chain's map and installs {@code program} there: the one call a chainable program needs. The member owns the
     * loaded object and the chain handle; closing it undoes everything it did (see {@link Member#close()}).
     */
    public static Member join(String ifname, ObjectSpec spec, String program, int slot, Lifetime lifetime) {
        return join(ifname, XdpChainOptions.defaults(), spec, LoadOptions.defaults(), program, slot, lifetime);
    }

    /** {@link #join(String, ObjectSpec, String, int, Lifetime)} with chain and load options. */
    public static Member join(String ifname, XdpChainOptions options, ObjectSpec spec, LoadOptions load, String program,
                              int slot, Lifetime lifetime) {
        XdpChain c = open(ifname, options);
        try {
            return c.join(spec, load, program, slot, lifetime);
        } finally {
            c.close(); // the member keeps the chain open
        }
    }

    /** Loads {@code spec} for {@code slot} with this chain's map and installs {@code program}; the member owns the object. */
    public Member join(ObjectSpec spec, LoadOptions load, String program, int slot, Lifetime lifetime) {
        return load(spec, load, program, slot, lifetime, false);
    }

    /**
     * {@link #join(ObjectSpec, LoadOptions, String, int, Lifetime)} that takes the slot even if another member holds it,
     * in one step (see {@link #replace(BpfProgram, int, Lifetime)}).
     */
    public Member replace(ObjectSpec spec, LoadOptions load, String program, int slot, Lifetime lifetime) {
        return load(spec, load, program, slot, lifetime, true);
    }

    private Member load(ObjectSpec spec, LoadOptions load, String program, int slot, Lifetime lifetime, boolean replace) {
        if (!spec.programs().containsKey(program)) {
            throw new BpfException.NotFoundException("object " + spec.name() + " has no program " + program + " (it has "
                    + spec.programs().keySet() + ")");
        }
        prepare(spec, slot);
        BpfObject object = spec.load(loadOptions(load));
        try {
            return put(object.program(program), slot, lifetime, replace, object);
        } catch (RuntimeException e) {
            object.close();
            throw e;
        }
    }

    /**
     * Puts a loaded program into {@code slot}. It must have been loaded for that slot and with this chain's map
     * ({@link #prepare}, {@link #loadOptions}); the program stays the caller's (closing the member does not close it).
     *
     * @throws BpfException if the slot holds another member (naming it and its owner), or the program was loaded for
     *                      another slot or another chain
     */
    public Member install(BpfProgram program, int slot, Lifetime lifetime) {
        return put(program, slot, lifetime, false, null);
    }

    /**
     * Like {@link #install} but takes the slot even if another member holds it, in one step (a restarted process
     * taking over its pinned slot: no packet meets an empty slot).
     */
    public Member replace(BpfProgram program, int slot, Lifetime lifetime) {
        return put(program, slot, lifetime, true, null);
    }

    private synchronized Member put(BpfProgram program, int slot, Lifetime lifetime, boolean replace, BpfObject object) {
        checkOpen();
        checkSlot(slot);
        Objects.requireNonNull(lifetime, "lifetime");
        if (program.type() != ProgramType.XDP) {
            throw new BpfException("program " + program.name() + " is " + program.type() + ", an XDP chain takes XDP programs");
        }
        checkPrepared(program, slot);
        return ChainLock.with(root, () -> {
            ensureCurrent();
            int first = firstOccupied();
            cleanDead();
            Owner cur = owner(slot);
            int there = slotProgramId(slot);
            if (!replace && cur.member()) throw taken(slot, cur);
            if (!replace && there != 0 && !cur.end()) {
                throw new BpfException("slot " + slot + " of the XDP chain of " + ifname + " holds " + Programs.describe(there)
                        + ", put there without an owner record; remove it with XdpChain.remove(" + slot + ") first");
            }
            Member m = lifetime == Lifetime.PINNED ? putPinned(program, slot, object) : putProcess(program, slot, object);
            refs++; // the member holds the chain open
            try {
                placeEnd();
                fitDispatcher(first);
                syncLinkPin();
            } catch (RuntimeException e) {
                m.remove();
                throw e;
            }
            return m;
        });
    }

    private Member putPinned(BpfProgram program, int slot, BpfObject object) {
        int id = program.id();
        setSlot(slot, program.fd());
        writeOwner(slot, new Owner(ChainLayout.F_MEMBER | ChainLayout.F_PINNED, 0, 0, id, id, 0, 0, program.name()));
        return new Member(this, slot, Lifetime.PINNED, program, id, id, null, null, object);
    }

    private Member putProcess(BpfProgram program, int slot, BpfObject object) {
        BpfMap inner = BpfMap.create(MapSpec.of(INNER_MAP, MapType.PROG_ARRAY, 4, 4, 1));
        BpfProgram stub = null;
        try {
            stub = ChainPrograms.stub(slot, inner, chain);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment k = arena.allocate(4, 4), v = arena.allocate(4, 4);
                v.set(JAVA_INT, 0, program.fd());
                inner.update(k, v);
            }
            int stubId = stub.id();
            setSlot(slot, stub.fd());
            ProcessHandle me = ProcessHandle.current();
            writeOwner(slot, new Owner(ChainLayout.F_MEMBER | ChainLayout.F_PROCESS, (int) me.pid(), startTime(me.pid()), program.id(),
                    stubId, inner.id(), (int) currentPidNs(), program.name()));
            return new Member(this, slot, Lifetime.PROCESS, program, program.id(), stubId, inner, stub, object);
        } catch (RuntimeException e) {
            if (stub != null) stub.close();
            inner.close();
            throw e;
        }
    }

    /**
     * Takes whatever occupies {@code slot} out of the chain: a pinned member, another process's member, a program
     * put there without records. Removes the chain when that leaves it empty and this handle is closed.
     */
    public synchronized void remove(int slot) {
        checkOpen();
        checkSlot(slot);
        ChainLock.run(root, () -> {
            ensureCurrent();
            int first = firstOccupied();
            deleteSlot(slot);
            writeOwner(slot, Owner.FREE);
            cleanDead();
            placeEnd();
            fitDispatcher(first);
            syncLinkPin();
        });
    }

    /** The occupied slots, in order (the end program included). */
    public synchronized List<SlotInfo> slots() {
        checkOpen();
        return ChainLock.with(root, () -> {
            List<SlotInfo> out = new ArrayList<>();
            for (int s = 0; s < SLOTS; s++) {
                int there = slotProgramId(s);
                if (there == 0) continue;
                Owner o = owner(s);
                if (o.end() && o.slotProgId == there) out.add(new SlotInfo(s, SlotKind.END, there, ChainPrograms.END, 0, true));
                else if (!o.member() || o.slotProgId != there) out.add(new SlotInfo(s, SlotKind.UNRECORDED, there, "", 0, true));
                else if ((o.flags & ChainLayout.F_PINNED) != 0) out.add(new SlotInfo(s, SlotKind.PINNED, o.progId, o.name, 0, true));
                else out.add(new SlotInfo(s, SlotKind.PROCESS, o.progId, o.name, o.pid, innerAlive(o)));
            }
            return out;
        });
    }

    // ---------------------------------------------------------------- accessors

    /** The interface's name, in the network namespace the chain was opened in. */
    public String ifname() {
        return ifname;
    }

    public int ifindex() {
        return ifindex;
    }

    /** The directory holding the chain's pins. */
    public Path directory() {
        return dir;
    }

    /** The chain's prog array (slot to program). */
    public BpfMap chainMap() {
        return chain;
    }

    /** The mode the dispatcher is attached in (never AUTO). */
    public synchronized XdpMode mode() {
        return mode;
    }

    /** The dispatcher program's id (as the chain's meta record has it now: any process's change may replace it). */
    public synchronized int dispatcherId() {
        return closed ? dispatcherId : currentDispatcherId();
    }

    /** The dispatcher's id from the meta record (refreshing ours), or ours when the record is unreadable. */
    private int currentDispatcherId() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = readMeta(meta, arena);
            if (v != null) dispatcherId = v.get(JAVA_INT, ChainLayout.Meta.DISPATCHER_ID);
        }
        return dispatcherId;
    }

    /** The dispatcher's XDP link id. */
    public synchronized int linkId() {
        return linkId;
    }

    /**
     * Closes this handle. The chain itself stays while it has members; when it has none left (and no member of this
     * handle is open) its dispatcher is detached and its pins and directory removed.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        unref();
    }

    synchronized void unref() {
        if (--refs > 0) return;
        try {
            ChainLock.run(root, () -> {
                if (!isCurrent()) return; // removed, or recreated by another process: not ours to touch
                cleanDead();
                if (memberCount() == 0) teardown();
                else syncLinkPin();
            });
        } finally {
            closeFds();
        }
    }

    @Override
    public String toString() {
        return "XdpChain[" + ifname + " (ifindex " + ifindex + ") at " + dir + "]";
    }

    // ---------------------------------------------------------------- the member

    /**
     * A program in a slot of an {@link XdpChain}: an attachment like any {@link Link}. Closing a
     * {@link Lifetime#PROCESS process-scoped} member takes it out of its slot (and removes the chain if that emptied
     * it); closing a {@link Lifetime#PINNED pinned} one only lets go of this process's descriptors, and the program
     * stays in its slot until {@link #remove()}.
     */
    public static final class Member extends Link {
        private final XdpChain chain;
        private final int slot;
        private final Lifetime lifetime;
        private final String programName;
        private final int programId;
        private final int slotProgramId;
        private final BpfMap inner;
        private final BpfProgram stub;
        private final BpfObject object;
        private final BpfProgram program;
        private volatile boolean takeOut;

        private Member(XdpChain chain, int slot, Lifetime lifetime, BpfProgram program, int programId, int slotProgramId,
                       BpfMap inner, BpfProgram stub, BpfObject object) {
            super("XDP program " + program.name() + " in slot " + slot + " of the XDP chain of " + chain.ifname
                    + " (" + lifetime.name().toLowerCase(java.util.Locale.ROOT) + ")");
            this.chain = chain;
            this.slot = slot;
            this.lifetime = lifetime;
            this.program = program;
            this.programName = program.name();
            this.programId = programId;
            this.slotProgramId = slotProgramId;
            this.inner = inner;
            this.stub = stub;
            this.object = object;
            this.takeOut = lifetime == Lifetime.PROCESS;
        }

        public int slot() {
            return slot;
        }

        public Lifetime lifetime() {
            return lifetime;
        }

        /** The member program's id. */
        public int programId() {
            return programId;
        }

        /** The member program (closed with the member only if the member loaded it). */
        public BpfProgram program() {
            return program;
        }

        /** The object {@link XdpChain#join} loaded (owned by the member), or null if the caller loaded the program. */
        public BpfObject object() {
            return object;
        }

        public XdpChain chain() {
            return chain;
        }

        /** Takes the member out of its slot whatever its lifetime, then closes it. */
        public void remove() {
            takeOut = true;
            close();
        }

        /** True for process-scoped members: the kernel stops them when the process dies. */
        @Override
        public boolean detachesOnExit() {
            return lifetime == Lifetime.PROCESS;
        }

        @Override
        protected void release() {
            try {
                if (takeOut) chain.takeOut(slot, slotProgramId);
            } finally {
                if (inner != null) inner.close(); // the kernel empties the member's prog array with its last fd
                if (stub != null) stub.close();
                if (object != null) object.close();
                chain.unref();
            }
        }

        @Override
        public String toString() {
            return "XdpChain.Member[" + programName + " (id " + programId + ") in slot " + slot + " of " + chain.ifname + ", " + lifetime + "]";
        }
    }

    private synchronized void takeOut(int slot, int slotProgId) {
        ChainLock.run(root, () -> {
            if (!isCurrent()) return;
            int first = firstOccupied();
            Owner o = owner(slot);
            // only if it is still ours: a later process may have replaced it
            if (o.slotProgId == slotProgId && slotProgramId(slot) == slotProgId) {
                deleteSlot(slot);
                writeOwner(slot, Owner.FREE);
            }
            cleanDead();
            placeEnd();
            fitDispatcher(first);
            syncLinkPin();
        });
    }

    // ---------------------------------------------------------------- creating and adopting

    private static XdpChain create(Path root, Path dir, String ifname, int ifindex, long netns, XdpMode mode) {
        BpfMap chain = null, owners = null, meta = null;
        XdpChain c = null;
        List<Path> pinned = new ArrayList<>();
        try {
            Files.createDirectory(dir);
            chain = BpfMap.create(MapSpec.of(CHAIN_MAP, MapType.PROG_ARRAY, 4, 4, SLOTS));
            owners = BpfMap.create(MapSpec.of(OWNERS_MAP, MapType.ARRAY, 4, ChainLayout.Owner.SIZE, SLOTS));
            meta = BpfMap.create(MapSpec.of(META_MAP, MapType.ARRAY, 4, ChainLayout.Meta.SIZE, 1));
            c = new XdpChain(root, dir, ifname, ifindex, netns, chain, owners, meta, mode);
            c.attachDispatcher(mode);
            // meta last: a directory without it is a chain whose creator died half way (removed by the next open)
            for (var p : List.of(Map.entry(PIN_CHAIN, chain), Map.entry(PIN_OWNERS, owners), Map.entry(PIN_META, meta))) {
                p.getValue().pin(dir.resolve(p.getKey()));
                pinned.add(dir.resolve(p.getKey()));
            }
            return c;
        } catch (IOException | RuntimeException e) {
            if (c != null && c.link != null) c.link.close();
            for (BpfMap m : new BpfMap[] {chain, owners, meta}) if (m != null) m.close();
            for (Path p : pinned) deleteQuietly(p);
            deleteQuietly(dir);
            if (e instanceof IOException io) throw new UncheckedIOException("create " + dir, io);
            throw (RuntimeException) e;
        }
    }

    /** The chain pinned at {@code dir}, cleaned of what dead processes left; null if nothing worth keeping was there. */
    private static XdpChain adopt(Path root, Path dir, String ifname, int ifindex, long netns) {
        if (!Files.exists(dir.resolve(PIN_META))) {
            LOG.log(System.Logger.Level.WARNING, dir + " holds no complete XDP chain (its creator died half way): removed");
            removeTree(dir);
            return null;
        }
        BpfMap chain = null, owners = null, meta = null;
        try {
            meta = BpfMap.openPinned(dir.resolve(PIN_META));
            owners = BpfMap.openPinned(dir.resolve(PIN_OWNERS));
            chain = BpfMap.openPinned(dir.resolve(PIN_CHAIN));
            checkShape(dir, chain, MapType.PROG_ARRAY, 4, SLOTS);
            checkShape(dir, owners, MapType.ARRAY, ChainLayout.Owner.SIZE, SLOTS);
            checkShape(dir, meta, MapType.ARRAY, ChainLayout.Meta.SIZE, 1);
            XdpMode mode;
            int pinnedIfindex, linkId, dispatcherId;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment v = readMeta(meta, arena);
                if (v == null) throw new BpfException(dir + " is not an XDP chain of this packetlens version (meta record); remove the directory");
                pinnedIfindex = v.get(JAVA_INT, ChainLayout.Meta.IFINDEX);
                mode = v.get(JAVA_INT, ChainLayout.Meta.XDP_MODE) == XdpMode.GENERIC.flags ? XdpMode.GENERIC : XdpMode.DRIVER;
                linkId = v.get(JAVA_INT, ChainLayout.Meta.LINK_ID);
                dispatcherId = v.get(JAVA_INT, ChainLayout.Meta.DISPATCHER_ID);
            }
            XdpChain c = new XdpChain(root, dir, ifname, ifindex, netns, chain, owners, meta, mode);
            c.dispatcherId = dispatcherId;
            c.linkId = linkId;
            chain = owners = meta = null; // c owns them now
            try {
                if (pinnedIfindex != ifindex) {
                    LOG.log(System.Logger.Level.WARNING, "the XDP chain at " + dir + " was made for ifindex " + pinnedIfindex + "; " + ifname
                            + " is ifindex " + ifindex + " now (the interface was recreated, which detached the chain): removed");
                    c.teardown();
                    c.closeFds();
                    return null;
                }
                c.link = findLink(dir, linkId, dispatcherId, ifindex, ifname);
                int first = c.firstOccupied();
                c.cleanDead();
                if (c.memberCount() == 0 && c.link == null) {
                    // no members and nobody holds the dispatcher's link (so no process has the chain open): leftovers
                    c.teardown();
                    c.closeFds();
                    return null;
                }
                if (c.link == null) {
                    // members left but no dispatcher (its pin was removed by hand, or it was detached): bring it back
                    c.attachDispatcher(mode);
                }
                c.placeEnd();
                c.fitDispatcher(first);
                c.syncLinkPin();
                return c;
            } catch (RuntimeException e) {
                c.closeFds();
                throw e;
            }
        } catch (RuntimeException e) {
            for (BpfMap m : new BpfMap[] {chain, owners, meta}) if (m != null) m.close();
            throw e;
        }
    }

    private static void checkShape(Path dir, BpfMap m, MapType type, int valueSize, int entries) {
        if (m.type() != type || m.keySize() != 4 || m.valueSize() != valueSize || m.maxEntries() != entries) {
            throw new BpfException(dir + ": pinned map " + m.name() + " is " + m.type() + " " + m.keySize() + "/" + m.valueSize() + "/"
                    + m.maxEntries() + ", not this packetlens version's XDP chain; detach its dispatcher and remove the directory");
        }
    }

    /** Attaches a new dispatcher over {@link #chain} (BPF link only: the chain finds it by id) and records it. */
    private void attachDispatcher(XdpMode m) {
        XdpLink l;
        try (BpfProgram d = ChainPrograms.dispatcher(chain, firstOccupied())) {
            try {
                l = XdpLink.attach(d, ifindex, XdpOptions.defaults().mode(m).via(XdpOptions.Via.LINK));
            } catch (BpfException e) {
                throw new BpfException("cannot attach the XDP chain dispatcher to " + ifname + ": " + e.getMessage()
                        + (Programs.busy(e.errno()) ? ". To share the interface, put that program into the chain too (XdpChain; "
                        + "the flow monitor: FlowConfig.xdpSharing(CHAIN))" : ""), e.errno(), e);
            }
            // the link holds the program now; our own fd of it closes here
            link = l;
            mode = l.mode();
            dispatcherId = l.programId();
            linkId = l.id();
        }
        try {
            writeMeta();
        } catch (RuntimeException e) {
            link.close();
            link = null;
            throw e;
        }
    }

    /** The meta record, from this handle's fields. */
    private void writeMeta() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4, 4), v = arena.allocate(ChainLayout.Meta.SIZE, 8);
            v.set(JAVA_INT, ChainLayout.Meta.MAGIC, ChainLayout.MAGIC);
            v.set(JAVA_INT, ChainLayout.Meta.VERSION, ChainLayout.VERSION);
            v.set(JAVA_INT, ChainLayout.Meta.IFINDEX, ifindex);
            v.set(JAVA_INT, ChainLayout.Meta.XDP_MODE, mode.flags);
            v.set(JAVA_INT, ChainLayout.Meta.DISPATCHER_ID, dispatcherId);
            v.set(JAVA_INT, ChainLayout.Meta.LINK_ID, linkId);
            v.set(JAVA_LONG, ChainLayout.Meta.NET_NS, netns);
            meta.update(k, v);
        }
    }

    private static MemorySegment readMeta(BpfMap meta, Arena arena) {
        MemorySegment k = arena.allocate(4, 4), v = arena.allocate(ChainLayout.Meta.SIZE, 8);
        if (!meta.lookup(k, v)) return null;
        if (v.get(JAVA_INT, ChainLayout.Meta.MAGIC) != ChainLayout.MAGIC || v.get(JAVA_INT, ChainLayout.Meta.VERSION) != ChainLayout.VERSION) return null;
        return v;
    }

    /**
     * Our fd of the chain's dispatcher link: its pin if the chain has pinned members, else by id from the meta record
     * (the processes that have the chain open hold it). Null if it is gone, or is not attached to this interface.
     */
    private static Link findLink(Path dir, int linkId, int dispatcherId, int ifindex, String ifname) {
        Path pin = dir.resolve(PIN_LINK);
        Fd fd = null;
        if (Files.exists(pin)) {
            try {
                fd = new Fd(Bpf.objGet(pin.toString()));
            } catch (BpfException e) {
                deleteQuietly(pin);
            }
        }
        if (fd == null && linkId != 0) {
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.GetId.ID, linkId);
            int r = Syscalls.bpf(BpfCmd.LINK_GET_FD_BY_ID, a, BpfAttr.GetId.SIZE);
            if (r >= 0) fd = new Fd(r);
        }
        if (fd == null) return null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.LinkInfo.SIZE, 8);
            Bpf.info(fd.get(), info);
            boolean ours = info.get(JAVA_INT, BpfAttr.LinkInfo.TYPE) == BpfAttr.LinkInfo.TYPE_XDP
                    && info.get(JAVA_INT, BpfAttr.LinkInfo.PROG_ID) == dispatcherId
                    && info.get(JAVA_INT, BpfAttr.LinkInfo.XDP_IFINDEX) == ifindex;
            if (!ours) {
                fd.close();
                deleteQuietly(pin);
                return null;
            }
            return new Link(fd, "XDP chain dispatcher of " + ifname + " (ifindex " + ifindex + ")");
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Whether the pins at our directory are still this handle's chain (not removed, not recreated by another process). */
    private boolean isCurrent() {
        Path p = dir.resolve(PIN_META);
        if (!Files.exists(p)) return false;
        try (BpfMap m = BpfMap.openPinned(p)) {
            return m.id() == meta.id();
        } catch (BpfException e) {
            return false;
        }
    }

    /**
     * Before a change: the chain this handle opened must still be the one pinned. If another process removed it
     * meanwhile (it had no members then), it is put back as it was; if another chain took its place, that is an error.
     */
    private void ensureCurrent() {
        if (isCurrent()) {
            if (link == null) link = findLink(dir, linkId, currentDispatcherId(), ifindex, ifname);
            if (link == null) attachDispatcher(mode);
            return;
        }
        if (Files.exists(dir)) {
            throw new BpfException("the XDP chain of " + ifname + " was removed and made anew by another process after this handle "
                    + "opened it; open it again");
        }
        try {
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("recreate " + dir, e);
        }
        if (link != null) link.close();
        link = null;
        for (int s = 0; s < SLOTS; s++) {
            deleteSlot(s);
            writeOwner(s, Owner.FREE);
        }
        attachDispatcher(mode);
        chain.pin(dir.resolve(PIN_CHAIN));
        owners.pin(dir.resolve(PIN_OWNERS));
        meta.pin(dir.resolve(PIN_META));
    }

    // ---------------------------------------------------------------- upkeep (under the lock)

    /** Clears slots whose process-scoped member is gone, and records whose program was taken out by someone else. */
    private void cleanDead() {
        for (int s = 0; s < SLOTS; s++) {
            Owner o = owner(s);
            if (o.flags == 0) continue;
            int there = slotProgramId(s);
            if (there == 0 || there != o.slotProgId) {
                writeOwner(s, Owner.FREE); // emptied or replaced behind the records' back
            } else if (o.member() && (o.flags & ChainLayout.F_PROCESS) != 0 && !innerAlive(o)) {
                LOG.log(System.Logger.Level.DEBUG, "XDP chain of " + ifname + ": slot " + s + " held " + o.name + " of pid " + o.pid
                        + ", which is gone: stub removed");
                deleteSlot(s);
                writeOwner(s, Owner.FREE);
            }
        }
    }

    /** Whether a process-scoped member still runs: its prog array still holds it (the kernel empties it when the owner dies). */
    private static boolean innerAlive(Owner o) {
        if (o.innerMapId == 0) return false;
        var m = BpfMap.findById(o.innerMapId);
        if (m.isEmpty()) return false;
        try (BpfMap inner = m.get(); Arena arena = Arena.ofConfined()) {
            if (inner.type() != MapType.PROG_ARRAY) return false;
            return inner.lookup(arena.allocate(4, 4), arena.allocate(4, 4));
        }
    }

    /** Members plus programs put into slots without records (both keep the chain alive). */
    private int memberCount() {
        int n = 0;
        for (int s = 0; s < SLOTS; s++) {
            Owner o = owner(s);
            if (o.member() || (!o.end() && slotProgramId(s) != 0)) n++;
        }
        return n;
    }

    /** Keeps the end program in the slot right after the last occupied one, and nowhere else. */
    private void placeEnd() {
        int last = -1;
        for (int s = 0; s < SLOTS; s++) {
            Owner o = owner(s);
            if (o.member() || (!o.end() && slotProgramId(s) != 0)) last = s;
        }
        int target = last >= 0 && last + 1 < SLOTS ? last + 1 : -1;
        if (target >= 0) {
            Owner o = owner(target);
            if (!(o.end() && slotProgramId(target) == o.slotProgId)) {
                if (endProgram == null) endProgram = ChainPrograms.end();
                int id = endProgram.id();
                setSlot(target, endProgram.fd());
                writeOwner(target, new Owner(ChainLayout.F_END, 0, 0, id, id, 0, 0, ChainPrograms.END));
            }
        }
        // only after the new one is in place: an end before a member would hide it
        for (int s = 0; s < SLOTS; s++) {
            if (s != target && owner(s).end()) {
                deleteSlot(s);
                writeOwner(s, Owner.FREE);
            }
        }
    }

    /** The lowest slot that holds a program (member, stub, end or unrecorded), or 0 when none does. */
    private int firstOccupied() {
        for (int s = 0; s < SLOTS; s++) if (slotProgramId(s) != 0) return s;
        return 0;
    }

    /**
     * After a change: when it moved the lowest occupied slot (from {@code before}), the dispatcher is replaced, in
     * one step behind its link, by one whose tries start there. Each empty try costs a compare, a count and a jump
     * on every packet (about 0.7 ns here), and the guard's slot has ten below it. A dispatcher that starts higher
     * than the lowest member would skip it, so every change that adds a lower member comes through here; one that
     * starts lower is only slower.
     */
    private void fitDispatcher(int before) {
        int first = firstOccupied();
        if (first == before || link == null) return;
        try (BpfProgram d = ChainPrograms.dispatcher(chain, first)) {
            link.update(d);
            dispatcherId = d.id();
        }
        writeMeta();
    }

    /** The dispatcher's link is pinned exactly while a pinned member exists (so it outlives processes only then). */
    private void syncLinkPin() {
        boolean pinnedMember = false;
        for (int s = 0; s < SLOTS && !pinnedMember; s++) pinnedMember = (owner(s).flags & ChainLayout.F_PINNED) != 0;
        Path pin = dir.resolve(PIN_LINK);
        if (pinnedMember && !Files.exists(pin) && link != null) link.pin(pin);
        if (!pinnedMember) deleteQuietly(pin);
    }

    /** Detaches the dispatcher (whoever else holds its link), empties the chain, removes the pins and the directory. */
    private void teardown() {
        if (link == null) link = findLink(dir, linkId, currentDispatcherId(), ifindex, ifname);
        if (link != null) {
            try {
                link.detach();
            } catch (BpfException e) {
                // already detached (the interface went away)
            }
            link.close();
            link = null;
        }
        for (int s = 0; s < SLOTS; s++) deleteSlot(s);
        removeTree(dir);
    }

    private void closeFds() {
        if (link != null) link.close();
        link = null;
        if (endProgram != null) endProgram.close();
        endProgram = null;
        chain.close();
        owners.close();
        meta.close();
    }

    private void checkOpen() {
        // a closed handle stays usable while members it installed are open (they hold it)
        if (refs <= 0) throw new IllegalStateException(this + " is closed");
    }

    private void checkPrepared(BpfProgram program, int slot) {
        List<Integer> ids = ChainInspect.mapIds(program);
        int ours = chain.id();
        if (!ids.contains(ours)) {
            for (int id : ids) {
                var m = BpfMap.findById(id);
                if (m.isEmpty()) continue;
                try (BpfMap map = m.get()) {
                    if (map.type() == MapType.PROG_ARRAY && map.name().equals(CHAIN_MAP)) {
                        throw new BpfException("program " + program.name() + " was loaded with another " + CHAIN_MAP
                                + " than the XDP chain of " + ifname + "'s: load it with chain.loadOptions(...) (or XdpChain.join)");
                    }
                }
            }
        }
        OptionalInt prepared = ChainInspect.preparedSlot(program, ids);
        if (prepared.isPresent() && prepared.getAsInt() != slot) {
            int p = prepared.getAsInt();
            throw new BpfException("program " + program.name() + " was loaded for "
                    + (p == ChainLayout.NO_SLOT ? "no slot (XdpChain.prepare was not called)" : "slot " + p) + ", not slot " + slot
                    + ": its PL_XDP_CHAIN_NEXT would go on from the wrong place");
        }
    }

    private BpfException taken(int slot, Owner o) {
        String who = (o.flags & ChainLayout.F_PINNED) != 0 ? "a pinned member" : "pid " + o.pid + (innerAlive(o) ? "" : " (gone)");
        return new BpfException("slot " + slot + " of the XDP chain of " + ifname + " is taken by " + o.name + " (program id " + o.progId
                + ", " + who + "); choose another slot, remove it (XdpChain.remove), or take it over with XdpChain.replace",
                Errno.EBUSY, null);
    }

    private static void checkSlot(int slot) {
        if (slot < 0 || slot >= SLOTS) throw new IllegalArgumentException("XDP chain slot must be 0.." + (SLOTS - 1) + ", got " + slot);
    }

    // ---------------------------------------------------------------- map access

    private int slotProgramId(int slot) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4, 4), v = arena.allocate(4, 4);
            k.set(JAVA_INT, 0, slot);
            // user space reads a prog array's entry as the program's id
            return chain.lookup(k, v) ? v.get(JAVA_INT, 0) : 0;
        }
    }

    private void setSlot(int slot, int progFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4, 4), v = arena.allocate(4, 4);
            k.set(JAVA_INT, 0, slot);
            v.set(JAVA_INT, 0, progFd);
            try {
                chain.update(k, v);
            } catch (BpfException e) {
                throw new BpfException("put a program into slot " + slot + " of the XDP chain of " + ifname + ": " + e.getMessage()
                        + (e.errno() == Errno.EINVAL ? " (a chain takes XDP programs of section \"xdp\" without frags, like its dispatcher)" : ""),
                        e.errno(), e);
            }
        }
    }

    private void deleteSlot(int slot) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4, 4);
            k.set(JAVA_INT, 0, slot);
            chain.delete(k);
        }
    }

    private Owner owner(int slot) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4, 4), v = arena.allocate(ChainLayout.Owner.SIZE, 8);
            k.set(JAVA_INT, 0, slot);
            if (!owners.lookup(k, v)) return Owner.FREE;
            byte[] n = v.asSlice(ChainLayout.Owner.NAME, ChainLayout.Owner.NAME_LEN).toArray(JAVA_BYTE);
            int len = 0;
            while (len < n.length && n[len] != 0) len++;
            return new Owner(v.get(JAVA_INT, ChainLayout.Owner.FLAGS), v.get(JAVA_INT, ChainLayout.Owner.PID),
                    v.get(JAVA_LONG, ChainLayout.Owner.START_TIME), v.get(JAVA_INT, ChainLayout.Owner.PROG_ID),
                    v.get(JAVA_INT, ChainLayout.Owner.SLOT_PROG_ID), v.get(JAVA_INT, ChainLayout.Owner.INNER_MAP_ID),
                    v.get(JAVA_INT, ChainLayout.Owner.PID_NS), new String(n, 0, len, StandardCharsets.UTF_8));
        }
    }

    private void writeOwner(int slot, Owner o) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate(4, 4), v = arena.allocate(ChainLayout.Owner.SIZE, 8);
            k.set(JAVA_INT, 0, slot);
            v.set(JAVA_INT, ChainLayout.Owner.FLAGS, o.flags);
            v.set(JAVA_INT, ChainLayout.Owner.PID, o.pid);
            v.set(JAVA_LONG, ChainLayout.Owner.START_TIME, o.startTime);
            v.set(JAVA_INT, ChainLayout.Owner.PROG_ID, o.progId);
            v.set(JAVA_INT, ChainLayout.Owner.SLOT_PROG_ID, o.slotProgId);
            v.set(JAVA_INT, ChainLayout.Owner.INNER_MAP_ID, o.innerMapId);
            v.set(JAVA_INT, ChainLayout.Owner.PID_NS, o.pidNs);
            byte[] n = o.name.getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(n, 0, v, JAVA_BYTE, ChainLayout.Owner.NAME, Math.min(n.length, ChainLayout.Owner.NAME_LEN - 1));
            owners.update(k, v);
        }
    }

    // ---------------------------------------------------------------- names and files

    /**
     * {@code <netns inode>-<ifname>}, the interface name made bpffs-safe without collisions: bpffs refuses '.', so
     * '_' is written "__" and '.' "_d" ({@code eth0.100} is {@code eth0_d100}).
     */
    static String directoryName(long netns, String ifname) {
        return netns + "-" + ifname.replace("_", "__").replace(".", "_d");
    }

    /** Inode of the calling thread's network namespace. */
    static long currentNetns() {
        return nsInode("/proc/thread-self/ns/net");
    }

    private static long currentPidNs() {
        return nsInode("/proc/self/ns/pid");
    }

    private static long nsInode(String path) {
        try {
            String t = Files.readSymbolicLink(Path.of(path)).toString(); // "net:[4026531840]"
            return Long.parseLong(t.substring(t.indexOf('[') + 1, t.indexOf(']')));
        } catch (IOException | RuntimeException e) {
            throw new BpfException("cannot read " + path + ": " + e.getMessage());
        }
    }

    /** Start time of a process in clock ticks since boot (/proc/PID/stat field 22), or 0. */
    static long startTime(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[19]); // field 22; f[0] is field 3
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static Path prepareRoot(Path root) {
        Path abs = root.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null || !Bpffs.isBpffs(existing)) {
            throw new BpfException("XDP chains are pinned under " + abs + ", which is not on a bpf file system (mount one: mount -t bpf bpf "
                    + (existing == null ? abs : existing) + ")");
        }
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new UncheckedIOException("create " + abs + Bpffs.problem(abs), e);
        }
        return abs;
    }

    private static void removeTree(Path dir) {
        for (String n : List.of(PIN_LINK, PIN_META, PIN_OWNERS, PIN_CHAIN)) deleteQuietly(dir.resolve(n));
        deleteQuietly(dir);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + p + ": " + e.getMessage());
        }
    }
}
