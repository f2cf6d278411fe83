package io.packetlens.ops.dump;

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
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * {@code inspect map}: every entry of a map, keys and values formatted from the map's BTF ({@link Plan}), read
 * with BPF_MAP_LOOKUP_BATCH (thousands of entries per system call) and, for map types or kernels without batch
 * lookup (LPM tries ...), with GET_NEXT_KEY + LOOKUP per entry. Per-CPU values are listed per possible CPU. Output
 * is JSON (an array of {@code {"key":..,"value":..}}, per-CPU {@code "values":[{"cpu":N,"value":..}]}) or one text
 * line per entry.
 */
public final class MapDump {
    /** Map types whose entries are not readable as key/value pairs. */
    private static final Set<MapType> NOT_DUMPABLE = Set.of(MapType.RINGBUF, MapType.USER_RINGBUF, MapType.PERF_EVENT_ARRAY,
            MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER, MapType.STRUCT_OPS, MapType.ARENA, MapType.SK_STORAGE,
            MapType.INODE_STORAGE, MapType.TASK_STORAGE, MapType.CGRP_STORAGE, MapType.STACK_TRACE);
    private static final int BATCH_BYTES = 8 << 20;

    /** How a dump went: entries written, whether batch lookup did it, whether BTF formatted it. */
    public record Result(long entries, boolean batched, boolean formatted, String note) {}

    private final BpfMap map;
    private final MapInfo info;
    private final Btf btf;
    private final boolean formatted;
    private final String note;

    private MapDump(BpfMap map, MapInfo info, Btf btf, boolean formatted, String note) {
        this.map = map;
        this.info = info;
        this.btf = btf;
        this.formatted = formatted;
        this.note = note;
    }

    /** Prepares a dump of {@code map}: reads its BTF, if it has one. */
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
        return new MapDump(map, info, btf, formatted,
                formatted ? null : "keys and values in hex: " + (note != null ? note : "its BTF does not describe them"));
    }

    public MapInfo info() {
        return info;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Writes every entry as a JSON array, one entry per line, to {@code out} (not closed). */
    public Result writeJson(OutputStream os) throws IOException {
        Out out = new Out(os);
        Plan key = Plan.of(btf, info.btfKeyTypeId(), map.keySize(), true), value = Plan.of(btf, info.btfValueTypeId(), map.valueSize(), true);
        byte[] open = ascii("{\"key\":"), mid = ascii(map.type().isPerCpu() ? ",\"values\":" : ",\"value\":"), close = ascii("}");
        byte[] first = ascii("\n"), next = ascii(",\n");
        long[] n = {0};
        out.lit(ascii("["));
        Result r = walk((k, koff, v, voff) -> {
            out.lit(n[0]++ == 0 ? first : next);
            out.lit(open);
            key.write(k, koff, out);
            out.lit(mid);
            writeValue(v, voff, value, out, true);
            out.lit(close);
        });
        out.lit(ascii("\n]\n"));
        out.flush();
        os.flush();
        return r;
    }

    /** Writes one line per entry, {@code key: ...  value: ...}, then a count line, to {@code out} (not closed). */
    public Result writeText(OutputStream os) throws IOException {
        Out out = new Out(os);
        Plan key = Plan.of(btf, info.btfKeyTypeId(), map.keySize(), false), value = Plan.of(btf, info.btfValueTypeId(), map.valueSize(), false);
        byte[] open = ascii("key: "), mid = ascii("  value: "), nl = ascii("\n");
        Result r = walk((k, koff, v, voff) -> {
            out.lit(open);
            key.write(k, koff, out);
            out.lit(mid);
            writeValue(v, voff, value, out, false);
            out.lit(nl);
        });
        out.ascii(r.entries() + " entries" + (note != null ? " (" + note + ")" : "") + "\n");
        out.flush();
        os.flush();
        return r;
    }

    private void writeValue(byte[] v, int voff, Plan value, Out out, boolean json) throws IOException {
        if (!map.type().isPerCpu()) {
            value.write(v, voff, out);
            return;
        }
        int stride = PerCpu.stride(map.valueSize());
        out.lit(ascii("["));
        for (int cpu = 0; cpu < PerCpu.cpus(); cpu++) {
            if (cpu > 0) out.lit(ascii(json ? "," : ", "));
            out.ascii(json ? "{\"cpu\":" : "{cpu: ");
            out.signed(cpu);
            out.ascii(json ? ",\"value\":" : ", value: ");
            value.write(v, voff + cpu * stride, out);
            out.lit(ascii("}"));
        }
        out.lit(ascii("]"));
    }

    @FunctionalInterface
    private interface EntryWriter {
        void entry(byte[] keys, int keyOffset, byte[] values, int valueOffset) throws IOException;
    }

    private Result walk(EntryWriter w) throws IOException {
        int ks = map.keySize(), vs = map.lookupValueSize();
        int capacity = (int) Math.max(1, Math.min(4096, BATCH_BYTES / Math.max(1, ks + vs)));
        byte[] keys = new byte[capacity * ks], values = new byte[capacity * vs];
        long n = 0;
        try (MapBatch batch = map.batch(capacity)) {
            try {
                int got;
                while ((got = batch.lookupNext()) > 0) {
                    // one bulk copy per batch, then plain array reads
                    MemorySegment.copy(batch.keys(), JAVA_BYTE, 0, keys, 0, got * ks);
                    MemorySegment.copy(batch.values(), JAVA_BYTE, 0, values, 0, got * vs);
                    for (int i = 0; i < got; i++) w.entry(keys, i * ks, values, i * vs);
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
                MemorySegment.copy(cur, JAVA_BYTE, 0, keys, 0, ks);
                MemorySegment.copy(val, JAVA_BYTE, 0, values, 0, vs);
                w.entry(keys, 0, values, 0);
                n++;
            }
        }
        return new Result(n, false, formatted, note);
    }
}
