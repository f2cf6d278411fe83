package io.packetlens.ebpf;


import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link BpfMap} seen through key and value {@link Codec}s, so that user code reads
 * naturally ({@code flows.get(key)}). Copies on every call: for hot paths use the
 * MemorySegment methods of BpfMap or a {@link MapBatch}.
 */
public final class TypedMap<K, V> {
    private final BpfMap map;
    private final Codec<K> keys;
    private final Codec<V> values;

    TypedMap(BpfMap map, Codec<K> keys, Codec<V> values) {
        if (keys.size() != map.keySize()) {
            throw new BpfException("map " + map.name() + ": key codec is " + keys.size() + " bytes, key size is " + map.keySize());
        }
        if (values.size() != map.valueSize()) {
            throw new BpfException("map " + map.name() + ": value codec is " + values.size() + " bytes, value size is " + map.valueSize());
        }
        this.map = map;
        this.keys = keys;
        this.values = values;
    }

    public BpfMap map() {
        return map;
    }

    private int stride() {
        return PerCpu.stride(map.valueSize());
    }

    public Optional<V> get(K key) {
        if (map.type().isPerCpu()) throw new BpfException("map " + map.name() + " is per-CPU: use getPerCpu");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(keys.size(), 8), v = a.allocate(map.lookupValueSize(), 8);
            keys.write(key, k, 0);
            return map.lookup(k, v) ? Optional.of(values.read(v, 0)) : Optional.empty();
        }
    }

    private void requirePerCpu(String op) {
        if (!map.type().isPerCpu()) throw new BpfException("map " + map.name() + " is " + map.type() + ", not per-CPU: use " + op);
    }

    /** One value per possible CPU, or an empty list if the key is absent. */
    public List<V> getPerCpu(K key) {
        requirePerCpu("get");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(keys.size(), 8), v = a.allocate(map.lookupValueSize(), 8);
            keys.write(key, k, 0);
            if (!map.lookup(k, v)) return List.of();
            List<V> out = new ArrayList<>();
            for (int cpu = 0; cpu < PerCpu.cpus(); cpu++) out.add(values.read(v, (long) cpu * stride()));
            return out;
        }
    }

    public void put(K key, V value) {
        put(key, value, UpdateFlag.ANY);
    }

    public void put(K key, V value, UpdateFlag flag) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(keys.size(), 8), v = a.allocate(map.lookupValueSize(), 8);
            keys.write(key, k, 0);
            if (map.type().isPerCpu()) {
                for (int cpu = 0; cpu < PerCpu.cpus(); cpu++) values.write(value, v, (long) cpu * stride());
            } else {
                values.write(value, v, 0);
            }
            map.update(k, v, flag);
        }
    }

    /** Writes {@code perCpu.get(cpu)} into each possible CPU's slot of a per-CPU map. */
    public void putPerCpu(K key, List<V> perCpu) {
        putPerCpu(key, perCpu, UpdateFlag.ANY);
    }

    public void putPerCpu(K key, List<V> perCpu, UpdateFlag flag) {
        requirePerCpu("put");
        int cpus = PerCpu.cpus();
        if (perCpu.size() != cpus) {
            throw new IllegalArgumentException("map " + map.name() + ": " + perCpu.size() + " values given, one per possible CPU needed (" + cpus + ")");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(keys.size(), 8), v = a.allocate(map.lookupValueSize(), 8);
            keys.write(key, k, 0);
            for (int cpu = 0; cpu < cpus; cpu++) values.write(perCpu.get(cpu), v, (long) cpu * stride());
            map.update(k, v, flag);
        }
    }

    public boolean remove(K key) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocate(keys.size(), 8);
            keys.write(key, k, 0);
            return map.delete(k);
        }
    }

    /** All entries (per-CPU maps: the value of CPU 0; use {@link #entriesPerCpu}). */
    public Map<K, V> entries() {
        Map<K, V> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(keys.read(k, 0), values.read(v, 0)));
        return out;
    }

    public Map<K, List<V>> entriesPerCpu() {
        requirePerCpu("entries");
        Map<K, List<V>> out = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            List<V> per = new ArrayList<>();
            for (int cpu = 0; cpu < PerCpu.cpus(); cpu++) per.add(values.read(v, (long) cpu * stride()));
            out.put(keys.read(k, 0), per);
        });
        return out;
    }
}
