package io.packetlens.ebpf;

import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.ebpf.info.KernelObjects;
import io.packetlens.ebpf.info.MapInfo;
import io.packetlens.ebpf.info.ObjectKind;
import io.packetlens.ebpf.sys.Bpf;
import io.packetlens.ebpf.sys.BpfAttr;
import io.packetlens.ebpf.sys.BpfCmd;
import io.packetlens.ebpf.sys.Fd;
import io.packetlens.ebpf.sys.Syscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A map in the kernel, owned through its fd: element operations (BPF_MAP_LOOKUP_ELEM,
 * UPDATE, DELETE, LOOKUP_AND_DELETE, GET_NEXT_KEY), batch operations (BPF_MAP_*_BATCH)
 * and pinning. Keys and values are native {@link MemorySegment}s (no copies, no
 * allocation: the hot path), byte arrays, or records through {@link #typed}.
 * For per-CPU maps a value holds one slot per possible CPU, each rounded up to 8 bytes.
 */
public final class BpfMap implements AutoCloseable {
    private final Fd fd;
    private final String name;
    private final MapType type;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final int flags;
    private volatile int id;

    BpfMap(Fd fd, String name, MapType type, int keySize, int valueSize, int maxEntries, int flags) {
        this.fd = fd;
        this.name = name;
        this.type = type;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        this.flags = flags;
    }

    /** Creates a map from a spec, outside any object. */
    public static BpfMap create(MapSpec spec) {
        return MapCreator.create(spec, -1);
    }

    /** Opens a map pinned in bpffs, reading its shape from the kernel. */
    public static BpfMap openPinned(Path path) {
        Fd fd = new Fd(Bpf.objGet(path.toString()));
        try {
            return fromFd(fd, path.toString());
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /**
     * Opens a map by its kernel id (BPF_MAP_GET_FD_BY_ID, needs CAP_SYS_ADMIN), e.g. one another process created and
     * recorded somewhere; empty if no map has that id any more.
     */
    public static Optional<BpfMap> findById(int id) {
        MemorySegment a = Bpf.attr();
        a.set(JAVA_INT, BpfAttr.GetId.ID, id);
        int r = Syscalls.bpf(BpfCmd.MAP_GET_FD_BY_ID, a, BpfAttr.GetId.SIZE);
        if (r == -Errno.ENOENT) return Optional.empty();
        if (r < 0) throw BpfException.of("open map id " + id, -r);
        Fd fd = new Fd(r);
        try {
            return Optional.of(fromFd(fd, "map id " + id));
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** Wraps an fd that refers to a map (taking ownership); {@code what} names it in messages. */
    static BpfMap fromFd(Fd fd, String what) {
        // OBJ_GET_INFO_BY_FD answers for programs and links too, with another struct: check first
        String kind = fd.kind();
        if (!kind.equals("bpf-map")) throw new BpfException(what + " is a " + kind + ", not a BPF map");
        MapInfo info = MapInfo.ofFd(fd.get());
        MapType type = MapType.find(info.type())
                .orElseThrow(() -> new BpfException(what + " is a map of type " + info.type() + ", which this library does not know"));
        BpfMap m = new BpfMap(fd, info.name(), type, info.keySize(), info.valueSize(), info.maxEntries(), info.flags());
        m.id = info.id();
        return m;
    }

    /** Opens the map the kernel numbers {@code id} (BPF_MAP_GET_FD_BY_ID; needs CAP_SYS_ADMIN), reading its shape. */
    public static BpfMap openById(int id) {
        Fd fd = KernelObjects.open(ObjectKind.MAP, id)
                .orElseThrow(() -> new BpfException.NotFoundException("no BPF map with id " + id + " (see `packetlens inspect`)"));
        try {
            return fromFd(fd, "map id " + id);
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    public String name() { return name; }
    public MapType type() { return type; }
    public int keySize() { return keySize; }
    /** Size of one value as the program sees it (one CPU's slot for per-CPU maps). */
    public int valueSize() { return valueSize; }
    public int maxEntries() { return maxEntries; }
    public int flags() { return flags; }

    /** The raw fd, valid while the map is open. */
    public int fd() {
        return fd.get();
    }

    /**
     * The elements of a {@code BPF_F_MMAPABLE} ARRAY as memory shared with the kernel (mmap of the map's fd, 5.5+):
     * reads and writes need no system call, and element {@code i} is at {@link #mmapStride()}{@code * i}. The mapping
     * is removed when {@code arena} closes. Writable unless the map is frozen or read-only to user space
     * ({@code writable} false maps it read-only).
     */
    public MemorySegment mmap(Arena arena, boolean writable) {
        if (type != MapType.ARRAY || (flags & MapSpec.F_MMAPABLE) == 0) {
            throw new BpfException("map " + name + " is " + type + (type == MapType.ARRAY ? " without BPF_F_MMAPABLE" : "")
                    + ": only arrays created with __uint(map_flags, BPF_F_MMAPABLE) can be mapped");
        }
        long page = io.packetlens.ebpf.sys.Mmap.pageSize();
        long length = (mmapStride() * maxEntries + page - 1) / page * page;
        int prot = io.packetlens.ebpf.sys.Mmap.PROT_READ | (writable ? io.packetlens.ebpf.sys.Mmap.PROT_WRITE : 0);
        return io.packetlens.ebpf.sys.Mmap.map(fd.get(), 0, length, prot, arena, "map " + name)
                .asSlice(0, mmapStride() * maxEntries);
    }

    /** Bytes from one element to the next in {@link #mmap}'s memory: the value size rounded up to 8, as the kernel lays arrays out. */
    public long mmapStride() {
        return (valueSize + 7L) & ~7L;
    }

    /** Bytes a lookup writes: valueSize, or for per-CPU maps possible CPUs x valueSize rounded up to 8. */
    public int lookupValueSize() {
        return type.isPerCpu() ? PerCpu.size(valueSize) : valueSize;
    }

    /** Kernel id of the map (read with the first info call and kept: it never changes). */
    public int id() {
        int i = id;
        if (i == 0) id = i = info().id();
        return i;
    }

    /** What the kernel says about the map (one BPF_OBJ_GET_INFO_BY_FD): its BTF ids, flags, ifindex ... */
    public MapInfo info() {
        return MapInfo.ofFd(fd.get());
    }

    private void checkKey(MemorySegment key) {
        if (key.byteSize() < keySize) {
            throw new BpfException("map " + name + ": key is " + key.byteSize() + " bytes, key size is " + keySize);
        }
    }

    private void checkValue(MemorySegment value) {
        if (value.byteSize() < lookupValueSize()) {
            throw new BpfException("map " + name + ": value buffer is " + value.byteSize() + " bytes, needs "
                    + lookupValueSize() + (type.isPerCpu() ? " (per-CPU: " + PerCpu.cpus() + " CPUs x " + PerCpu.stride(valueSize) + ")" : ""));
        }
    }

    /** byte[] keys and values must match exactly: a longer array would be silently cut short. */
    private void checkKey(byte[] key) {
        if (key.length != keySize) {
            throw new BpfException("map " + name + ": key is " + key.length + " bytes, key size is " + keySize);
        }
    }

    private void checkValue(byte[] value) {
        if (value.length != lookupValueSize()) {
            throw new BpfException("map " + name + ": value is " + value.length + " bytes, value size is " + lookupValueSize()
                    + (type.isPerCpu() ? " (per-CPU: " + PerCpu.cpus() + " CPUs x " + PerCpu.stride(valueSize) + ")" : ""));
        }
    }

    private BpfException fail(String op, int r) {
        return BpfException.of(op + " on map " + name, -r);
    }

    /** Looks up {@code key} into {@code value}; false if absent. Allocation-free. */
    public boolean lookup(MemorySegment key, MemorySegment value) {
        checkKey(key);
        checkValue(value);
        int r = Bpf.lookup(fd.get(), key, value, 0);
        if (r == -Errno.ENOENT) return false;
        if (r < 0) throw fail("lookup", r);
        return true;
    }

    public void update(MemorySegment key, MemorySegment value, UpdateFlag flag) {
        checkKey(key);
        checkValue(value);
        int r = Bpf.update(fd.get(), key, value, flag.value());
        if (r < 0) throw fail("update (" + flag + ")", r);
    }

    public void update(MemorySegment key, MemorySegment value) {
        update(key, value, UpdateFlag.ANY);
    }

    /** Deletes {@code key}; false if it was absent. */
    public boolean delete(MemorySegment key) {
        checkKey(key);
        int r = Bpf.delete(fd.get(), key);
        if (r == -Errno.ENOENT) return false;
        if (r < 0) throw fail("delete", r);
        return true;
    }

    /** Looks up and deletes {@code key} in one step (hash maps; pops for queues and stacks); false if absent. */
    public boolean lookupAndDelete(MemorySegment key, MemorySegment value) {
        checkKey(key);
        checkValue(value);
        int r = Bpf.lookupAndDelete(fd.get(), key, value);
        if (r == -Errno.ENOENT) return false;
        if (r < 0) throw fail("lookup-and-delete", r);
        return true;
    }

    /** Writes the key after {@code key} (or the first key when key is null) into next; false at the end. */
    public boolean nextKey(MemorySegment key, MemorySegment next) {
        if (key != null) checkKey(key);
        checkKey(next);
        int r = Bpf.nextKey(fd.get(), key == null ? MemorySegment.NULL : key, next);
        if (r == -Errno.ENOENT) return false;
        if (r < 0) throw fail("get next key", r);
        return true;
    }

    // ---- byte[] conveniences (copying; not for hot paths) ----

    public Optional<byte[]> lookup(byte[] key) {
        checkKey(key);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(lookupValueSize(), 8);
            return lookup(arena.allocateFrom(JAVA_BYTE, key), v) ? Optional.of(v.toArray(JAVA_BYTE)) : Optional.empty();
        }
    }

    public void update(byte[] key, byte[] value, UpdateFlag flag) {
        checkKey(key);
        checkValue(value);
        try (Arena arena = Arena.ofConfined()) {
            update(arena.allocateFrom(JAVA_BYTE, key), arena.allocateFrom(JAVA_BYTE, value), flag);
        }
    }

    public void update(byte[] key, byte[] value) {
        update(key, value, UpdateFlag.ANY);
    }

    public boolean delete(byte[] key) {
        checkKey(key);
        try (Arena arena = Arena.ofConfined()) {
            return delete(arena.allocateFrom(JAVA_BYTE, key));
        }
    }

    /** All keys, walked with GET_NEXT_KEY (a key deleted meanwhile makes the walk restart, as the kernel does). */
    public List<byte[]> keys() {
        List<byte[]> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cur = arena.allocate(Math.max(keySize, 1), 8);
            MemorySegment next = arena.allocate(Math.max(keySize, 1), 8);
            boolean first = true;
            while (nextKey(first ? null : cur, next)) {
                out.add(next.asSlice(0, keySize).toArray(JAVA_BYTE));
                MemorySegment.copy(next, 0, cur, 0, keySize);
                first = false;
            }
        }
        return out;
    }

    /** Visits every entry (batch lookup where the kernel supports it for this map type, else key iteration). */
    public void forEach(BiConsumer<MemorySegment, MemorySegment> visitor) {
        try (MapBatch batch = new MapBatch(this, 4096)) {
            batch.forEach(visitor, false);
        }
    }

    /** A batch reader/writer with buffers for {@code batchSize} entries. */
    public MapBatch batch(int batchSize) {
        return new MapBatch(this, batchSize);
    }

    /** A typed view of this map with key and value codecs. */
    public <K, V> TypedMap<K, V> typed(Codec<K> key, Codec<V> value) {
        return new TypedMap<>(this, key, value);
    }

    /** Pins the map at {@code path} on a bpf file system; it then outlives this process. */
    public void pin(Path path) {
        Bpf.pin(fd.get(), path.toString());
    }

    /** Makes the map read-only from user space (BPF_MAP_FREEZE). */
    public void freeze() {
        Bpf.freeze(fd.get());
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "BpfMap[" + name + " " + type + " key=" + keySize + " value=" + valueSize + " max=" + maxEntries + " " + fd + "]";
    }

    /** BPF_MAP_CREATE from a spec; package-level so the object loader can pass its BTF fd. */
    static final class MapCreator {
        private MapCreator() {}

        static BpfMap create(MapSpec spec, int btfFd) {
            int maxEntries = spec.maxEntries();
            if (spec.type() == MapType.PERF_EVENT_ARRAY && maxEntries == 0) maxEntries = Cpus.possible();
            boolean withBtf = btfFd >= 0 && (spec.btfValueTypeId() != 0) && (spec.type().takesBtfKeyValue());
            BpfMap inner = null;
            if (spec.innerMap() != null) {
                if (spec.type() != MapType.ARRAY_OF_MAPS && spec.type() != MapType.HASH_OF_MAPS) {
                    throw new BpfException("map " + spec.name() + " is " + spec.type() + " but has an inner map definition");
                }
                inner = create(spec.innerMap(), btfFd); // the template the kernel copies; closed once the outer map exists
            } else if (spec.type() == MapType.ARRAY_OF_MAPS || spec.type() == MapType.HASH_OF_MAPS) {
                throw new BpfException("map " + spec.name() + " is " + spec.type() + " without an inner map definition:"
                        + " declare one with __array(values, struct { ... }) or set MapSpec.innerMap()");
            }
            int innerFd = inner == null ? -1 : inner.fd();
            int r;
            try {
                r = attempt(spec, maxEntries, withBtf ? btfFd : -1, innerFd);
                if (r < 0 && withBtf && r == -Errno.EINVAL) r = attempt(spec, maxEntries, -1, innerFd);
            } finally {
                if (inner != null) inner.close();
            }
            if (r < 0) {
                String hint = "";
                if (-r == Errno.EINVAL && spec.type() == MapType.LPM_TRIE && (spec.flags() & MapSpec.F_NO_PREALLOC) == 0) {
                    hint = "; LPM tries need flag BPF_F_NO_PREALLOC";
                } else if (-r == Errno.EINVAL) {
                    hint = "; check key/value sizes and flags for " + spec.type();
                }
                BpfException e = BpfException.of("create map " + spec.name() + " (" + spec.type() + " key=" + spec.keySize()
                        + " value=" + spec.valueSize() + " max=" + maxEntries + ")" + hint, -r);
                throw e;
            }
            return new BpfMap(new Fd(r), spec.name(), spec.type(), spec.keySize(), spec.valueSize(), maxEntries, spec.flags());
        }

        private static int attempt(MapSpec spec, int maxEntries, int btfFd, int innerFd) {
            MemorySegment a = Bpf.attr();
            a.set(JAVA_INT, BpfAttr.MapCreate.MAP_TYPE, spec.type().value());
            a.set(JAVA_INT, BpfAttr.MapCreate.KEY_SIZE, spec.keySize());
            a.set(JAVA_INT, BpfAttr.MapCreate.VALUE_SIZE, spec.valueSize());
            a.set(JAVA_INT, BpfAttr.MapCreate.MAX_ENTRIES, maxEntries);
            a.set(JAVA_INT, BpfAttr.MapCreate.MAP_FLAGS, spec.flags());
            byte[] n = kernelName(spec.name());
            MemorySegment.copy(n, 0, a, JAVA_BYTE, BpfAttr.MapCreate.MAP_NAME, n.length);
            if (btfFd >= 0) {
                a.set(JAVA_INT, BpfAttr.MapCreate.BTF_FD, btfFd);
                a.set(JAVA_INT, BpfAttr.MapCreate.BTF_KEY_TYPE_ID, spec.btfKeyTypeId());
                a.set(JAVA_INT, BpfAttr.MapCreate.BTF_VALUE_TYPE_ID, spec.btfValueTypeId());
            }
            a.set(JAVA_LONG, BpfAttr.MapCreate.MAP_EXTRA, spec.mapExtra());
            if (innerFd >= 0) a.set(JAVA_INT, BpfAttr.MapCreate.INNER_MAP_FD, innerFd);
            return Syscalls.bpf(BpfCmd.MAP_CREATE, a, BpfAttr.MapCreate.SIZE);
        }
    }

    /** Object names in the kernel: at most 15 characters of [A-Za-z0-9_.]. */
    static byte[] kernelName(String name) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toCharArray()) {
            if (b.length() == 15) break;
            b.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' ? c : '_');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
