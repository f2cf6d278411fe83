package io.packetlens.ebpf;

import java.util.Arrays;
import java.util.Objects;

/**
 * A map before it exists in the kernel: the fields of BPF_MAP_CREATE ({@code map_type},
 * {@code key_size}, {@code value_size}, {@code max_entries}, {@code map_flags}, BTF type ids)
 * plus pinning and, for global-data maps, the initial contents. Read from an object's
 * {@code .maps} section or {@code .data/.rodata/.bss}, or built by hand; freely changeable
 * before loading.
 */
public final class MapSpec {
    /** BPF_F_NO_PREALLOC: required for LPM tries, optional for hashes. */
    public static final int F_NO_PREALLOC = 1;
    /** BPF_F_RDONLY_PROG: programs may only read the map (used for .rodata). */
    public static final int F_RDONLY_PROG = 1 << 7;
    /** BPF_F_MMAPABLE: the array may be mmap'd. */
    public static final int F_MMAPABLE = 1 << 10;

    private String name;
    private MapType type;
    private int keySize;
    private int valueSize;
    private int maxEntries;
    private int flags;
    private Pinning pinning = Pinning.NONE;
    private int btfKeyTypeId;
    private int btfValueTypeId;
    private long mapExtra;
    private byte[] contents;
    private boolean freeze;
    private String dataSection;
    private MapSpec innerMap;
    private java.util.SortedMap<Integer, String> initialValues = new java.util.TreeMap<>();

    public MapSpec(String name, MapType type, int keySize, int valueSize, int maxEntries) {
        this.name = Objects.requireNonNull(name);
        this.type = Objects.requireNonNull(type);
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
    }

    public static MapSpec of(String name, MapType type, int keySize, int valueSize, int maxEntries) {
        return new MapSpec(name, type, keySize, valueSize, maxEntries);
    }

    public MapSpec copy() {
        MapSpec c = new MapSpec(name, type, keySize, valueSize, maxEntries);
        c.flags = flags;
        c.pinning = pinning;
        c.btfKeyTypeId = btfKeyTypeId;
        c.btfValueTypeId = btfValueTypeId;
        c.mapExtra = mapExtra;
        c.contents = contents == null ? null : contents.clone();
        c.freeze = freeze;
        c.dataSection = dataSection;
        c.innerMap = innerMap == null ? null : innerMap.copy();
        c.initialValues = new java.util.TreeMap<>(initialValues);
        return c;
    }

    public String name() { return name; }
    public MapType type() { return type; }
    public int keySize() { return keySize; }
    public int valueSize() { return valueSize; }
    public int maxEntries() { return maxEntries; }
    public int flags() { return flags; }
    public Pinning pinning() { return pinning; }
    public int btfKeyTypeId() { return btfKeyTypeId; }
    public int btfValueTypeId() { return btfValueTypeId; }
    public long mapExtra() { return mapExtra; }
    /** Initial value of element 0 for a global-data map, or null. */
    public byte[] contents() { return contents; }
    /** Whether the map is frozen (read-only from user space) after its contents are written. */
    public boolean freeze() { return freeze; }
    /** The ELF data section this map stands for (.data, .rodata, .bss ...), or null. */
    public String dataSection() { return dataSection; }

    /** For ARRAY_OF_MAPS and HASH_OF_MAPS: the definition every inner map must have ({@code __array(values, struct ...)}), or null. */
    public MapSpec innerMap() { return innerMap; }
    /**
     * Slots filled at load, from {@code .values = { [i] = &x }}: for a map of maps the name of the map in slot i, for a
     * PROG_ARRAY the name of the program (tail-call target) in slot i.
     */
    public java.util.SortedMap<Integer, String> initialValues() { return initialValues; }

    public MapSpec innerMap(MapSpec v) { innerMap = v; return this; }
    public MapSpec name(String v) { name = Objects.requireNonNull(v); return this; }
    public MapSpec type(MapType v) { type = Objects.requireNonNull(v); return this; }
    public MapSpec keySize(int v) { keySize = v; return this; }
    public MapSpec valueSize(int v) { valueSize = v; return this; }
    public MapSpec maxEntries(int v) { maxEntries = v; return this; }
    public MapSpec flags(int v) { flags = v; return this; }
    public MapSpec pinning(Pinning v) { pinning = Objects.requireNonNull(v); return this; }
    public MapSpec btfTypes(int keyId, int valueId) { btfKeyTypeId = keyId; btfValueTypeId = valueId; return this; }
    public MapSpec mapExtra(long v) { mapExtra = v; return this; }
    public MapSpec contents(byte[] v) { contents = v; return this; }
    public MapSpec freeze(boolean v) { freeze = v; return this; }
    MapSpec dataSection(String v) { dataSection = v; return this; }

    @Override
    public String toString() {
        return "MapSpec[" + name + " " + type + " key=" + keySize + " value=" + valueSize + " max=" + maxEntries
                + (flags != 0 ? " flags=0x" + Integer.toHexString(flags) : "")
                + (pinning != Pinning.NONE ? " pinning=" + pinning : "")
                + (contents != null ? " contents=" + contents.length + "B" : "") + "]";
    }

    /** Whether an existing map (e.g. a pin) has the same shape as this spec. */
    boolean compatibleWith(BpfMap m) {
        return m.type() == type && m.keySize() == keySize && m.valueSize() == valueSize
                && m.maxEntries() == maxEntries && (m.flags() & ~F_RDONLY_PROG) == (flags & ~F_RDONLY_PROG);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MapSpec m && m.name.equals(name) && m.type == type && m.keySize == keySize
                && m.valueSize == valueSize && m.maxEntries == maxEntries && m.flags == flags && m.pinning == pinning
                && Arrays.equals(m.contents, contents);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, keySize, valueSize, maxEntries);
    }
}
