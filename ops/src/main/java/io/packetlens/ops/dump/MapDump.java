package io.packetlens.ops.dump;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.MapBatch;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfException;
import io.packetlens.ebpf.info.KernelObjects;
import io.packetlens.ebpf.info.MapInfo;

import java.io.IOException;
import java.io.Writer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * {@code inspect map}: every entry of a map, keys and values formatted from the map's BTF ({@link Formatter}), read
 * with BPF_MAP_LOOKUP_BATCH (thousands of entries per system call) and, for map types or kernels without batch
 * lookup (LPM tries ...), with GET_NEXT_KEY + LOOKUP per entry. Per-CPU values are listed per possible CPU. Output
 * is JSON (an array of {@code {"key":..,"value":..}}, per-CPU {@code "values":[{"cpu":N,"value":..}]}) or one text
 * line per entry.
 */
public final class MapDump {
    private static final JsonFactory JSON = new JsonFactory();
    /** Map types whose entries are not readable as key/value pairs. */
    private static final Set<MapType> NOT_DUMPABLE = Set.of(MapType.RINGBUF, MapType.USER_RINGBUF, MapType.PERF_EVENT_ARRAY,
            MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER, MapType.STRUCT_OPS, MapType.ARENA, MapType.SK_STORAGE,
            MapType.INODE_STORAGE, MapType.TASK_STORAGE, MapType.CGRP_STORAGE, MapType.STACK_TRACE);
    private static final int BATCH_BYTES = 8 << 20;

    /** How a dump went: entries written, whether batch lookup did it, whether BTF formatted it. */
    public record Result(long entries, boolean batched, boolean formatted, String note) {}

    private final BpfMap map;
    private final MapInfo info;
    private final Formatter key;
    private final Formatter value;
    private final boolean formatted;
    private final String note;

    private MapDump(BpfMap map, MapInfo info, Formatter key, Formatter value, boolean formatted, String note) {
        this.map = map;
        this.info = info;
        this.key = key;
        this.value = value;
        this.formatted = formatted;
        this.note = note;
    }

    /** Prepares a dump of {@code map}: reads its BTF (if it has one) and compiles the key and value formatters. */
    public static MapDump of(BpfMap map) {
        MapType t = map.type();
        if (NOT_DUMPABLE.contains(t)) {
            throw new BpfException("map " + map.name() + " is a " + t.name().toLowerCase() + ", which has no key/value entries to dump");
        }
        MapInfo info = map.info();
        Btf btf = null;
        String note = null;
        if (info.btfId() != 0) {
            try {
                btf = KernelObjects.btfData(info.btfId()).map(Btf::parse).orElse(null);
                if (btf == null) note = "its BTF (id " + info.btfId() + ") is gone";
            } catch (BtfException e) {
                note = "its BTF (id " + info.btfId() + ") could not be read: " + e.getMessage();
            }
        } else {
            note = "it has no BTF";
        }
        boolean formatted = btf != null && (info.btfKeyTypeId() != 0 || info.btfValueTypeId() != 0);
        return new MapDump(map, info, Formatter.of(btf, info.btfKeyTypeId(), map.keySize()),
                Formatter.of(btf, info.btfValueTypeId(), map.valueSize()), formatted,
                formatted ? null : "keys and values in hex: " + (note != null ? note : "its BTF does not describe them"));
    }

    public MapInfo info() {
        return info;
    }

    /** Writes every entry as a JSON array to {@code out}. */
    public Result writeJson(Writer out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartArray();
            Sink s = new Sink.Json(g);
            Result r = walk((k, koff, v, voff) -> {
                g.writeStartObject();
                g.writeFieldName("key");
                key.write(k, koff, s);
                writeValue(v, voff, s, true);
                g.writeEndObject();
                g.writeRaw('\n');
            });
            g.writeEndArray();
            g.writeRaw('\n');
            return r;
        }
    }

    /** Writes one line per entry: {@code key: ...  value: ...}. */
    public Result writeText(Writer out) throws IOException {
        Sink.Text s = new Sink.Text(out);
        Result r = walk((k, koff, v, voff) -> {
            s.reset();
            out.write("key: ");
            key.write(k, koff, s);
            s.reset();
            out.write("  value: ");
            writeValue(v, voff, s, false);
            out.write('\n');
        });
        out.write(r.entries() + " entries" + (note != null ? " (" + note + ")" : "") + "\n");
        return r;
    }

    private void writeValue(MemorySegment v, long voff, Sink s, boolean json) throws IOException {
        if (!map.type().isPerCpu()) {
            if (json) s.field("value");
            value.write(v, voff, s);
            return;
        }
        int stride = PerCpu.stride(map.valueSize());
        if (json) s.field("values");
        s.startArray();
        for (int cpu = 0; cpu < PerCpu.cpus(); cpu++) {
            s.startObject();
            s.field("cpu");
            s.number(cpu);
            s.field("value");
            value.write(v, voff + (long) cpu * stride, s);
            s.endObject();
        }
        s.endArray();
    }

    @FunctionalInterface
    private interface EntryWriter {
        void entry(MemorySegment keys, long keyOffset, MemorySegment values, long valueOffset) throws IOException;
    }

    private Result walk(EntryWriter w) throws IOException {
        int ks = map.keySize(), vs = map.lookupValueSize();
        int capacity = (int) Math.max(1, Math.min(4096, BATCH_BYTES / Math.max(1, ks + vs)));
        long n = 0;
        try (MapBatch batch = map.batch(capacity)) {
            try {
                int got;
                while ((got = batch.lookupNext()) > 0) {
                    for (int i = 0; i < got; i++) w.entry(batch.keys(), (long) i * ks, batch.values(), (long) i * vs);
                    n += got;
                }
                return new Result(n, true, formatted, note);
            } catch (BpfException e) {
                if (n > 0 || (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOTSUPP && e.errno() != Errno.EOPNOTSUPP)) throw e;
            }
        }
        // no batch lookup for this map type (or kernel): walk the keys
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cur = arena.allocate(Math.max(ks, 1), 8), next = arena.allocate(Math.max(ks, 1), 8);
            MemorySegment val = arena.allocate(Math.max(vs, 1), 8);
            boolean first = true;
            while (map.nextKey(first ? null : cur, next)) {
                first = false;
                MemorySegment.copy(next, 0, cur, 0, ks);
                if (!map.lookup(cur, val)) continue; // deleted between the two calls
                w.entry(cur, 0, val, 0);
                n++;
            }
        }
        return new Result(n, false, formatted, note);
    }
}
