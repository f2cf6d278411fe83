package io.packetlens.ops.dump;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ops.Bpftool;
import io.packetlens.ops.OpsLab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code inspect map}: every entry, formatted from BTF as bpftool formats it, read by batch or by key walk. */
@KernelTest
class MapDumpTest {
    private static final int N = 3000;
    private static BpfObject obj;

    @BeforeAll
    static void load() {
        ObjectSpec spec = OpsLab.spec();
        spec.variable("ops_marker").set(0x5eed);
        obj = spec.load();
        OpsValues.fill(obj.map("ops_hash"), N);
    }

    @AfterAll
    static void close() {
        if (obj != null) obj.close();
    }

    private static JsonNode dumpJson(BpfMap map, MapDump.Result[] result) throws Exception {
        ByteArrayOutputStream w = new ByteArrayOutputStream();
        result[0] = MapDump.of(map).writeJson(w);
        return Bpftool.JSON.readTree(w.toByteArray());
    }

    /** Our formatted key -> value, and bpftool's, from {@code bpftool -j map dump}'s "formatted" member. */
    @Test
    void structEntriesAreFormattedAsBpftoolFormatsThem() throws Exception {
        BpfMap map = obj.map("ops_hash");
        MapDump.Result[] r = new MapDump.Result[1];
        JsonNode ours = dumpJson(map, r);
        assertThat(r[0].entries()).isEqualTo(N);
        assertThat(r[0].batched()).isTrue();
        assertThat(r[0].formatted()).isTrue();
        Map<JsonNode, JsonNode> mine = new HashMap<>(), theirs = new HashMap<>();
        for (JsonNode e : ours) mine.put(e.get("key"), e.get("value"));
        for (JsonNode e : Bpftool.json("map", "dump", "id", String.valueOf(map.id()))) {
            JsonNode v = e.get("formatted").get("value").deepCopy();
            // bpftool prints bit fields as hex strings; we print them as numbers
            for (String bitfield : new String[] {"flags", "kind"}) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) v).put(bitfield, Long.decode(v.get(bitfield).asText()));
            }
            theirs.put(e.get("formatted").get("key"), v);
        }
        assertThat(mine).hasSize(N);
        assertThat(theirs).hasSize(N);
        for (var e : mine.entrySet()) {
            // compared as text: Jackson's int and long nodes of one number are not equal()
            assertThat(e.getValue().toString()).as("entry " + e.getKey()).isEqualTo(String.valueOf(theirs.get(e.getKey())));
        }
        // and what that is, for one entry
        int i = 6;
        JsonNode v = null;
        for (JsonNode e : ours) if (e.get("key").get("addr").asInt() == OpsValues.addr(i)) v = e;
        assertThat(v.get("key").get("port").asInt()).isEqualTo(OpsValues.port(i));
        assertThat(v.get("key").get("proto").asInt()).isEqualTo(OpsValues.proto(i));
        JsonNode val = v.get("value");
        assertThat(val.get("packets").asLong()).isEqualTo(OpsValues.packets(i));
        assertThat(val.get("bytes").asLong()).isEqualTo(OpsValues.bytes(i));
        assertThat(val.get("ifname").asText()).isEqualTo(OpsValues.ifname(i));
        assertThat(val.get("state").asText()).isEqualTo("OPS_CLOSED");
        assertThat(val.get("delta").asInt()).isEqualTo(-6);
        assertThat(val.get("ports").get(1).asInt()).isEqualTo(OpsValues.port(i) + 1);
        assertThat(val.get("flags").asInt()).isEqualTo(OpsValues.flags(i));
        assertThat(val.get("kind").asInt()).isEqualTo(OpsValues.kind(i));
        assertThat(val.get("seen").asBoolean()).isEqualTo(OpsValues.seen(i));
    }

    @Test
    void perCpuValuesAreListedPerCpu() throws Exception {
        BpfMap map = obj.map("ops_pcpu");
        var t = map.typed(io.packetlens.ebpf.Codec.U32, io.packetlens.ebpf.Codec.U64);
        java.util.List<Long> values = new java.util.ArrayList<>();
        for (int cpu = 0; cpu < PerCpu.cpus(); cpu++) values.add(100L + cpu);
        t.putPerCpu(2, values);
        MapDump.Result[] r = new MapDump.Result[1];
        JsonNode ours = dumpJson(map, r);
        assertThat(ours).hasSize(4); // an array has every index
        JsonNode two = null;
        for (JsonNode e : ours) if (e.get("key").asInt() == 2) two = e;
        assertThat(two.get("values")).hasSize(PerCpu.cpus());
        for (int cpu = 0; cpu < PerCpu.cpus(); cpu++) {
            assertThat(two.get("values").get(cpu).get("cpu").asInt()).isEqualTo(cpu);
            assertThat(two.get("values").get(cpu).get("value").asLong()).isEqualTo(100L + cpu);
        }
        JsonNode bpftool = null;
        for (JsonNode e : Bpftool.json("map", "dump", "id", String.valueOf(map.id()))) {
            if (e.get("formatted").get("key").asInt() == 2) bpftool = e.get("formatted").get("values");
        }
        assertThat(two.get("values")).isEqualTo(bpftool);
    }

    @Test
    void lpmTrieKeysAreFormatted() throws Exception {
        BpfMap map = obj.map("ops_lpm");
        var t = map.typed(io.packetlens.ebpf.Codec.U64, io.packetlens.ebpf.Codec.U32);
        // key: prefixlen (host order) then the address in network order
        t.put(24L | (long) 0x00000a0a << 32, 24);
        t.put(16L | (long) 0x0000c0a8 << 32, 16);
        MapDump.Result[] r = new MapDump.Result[1];
        JsonNode ours = dumpJson(map, r);
        assertThat(ours).hasSize(2);
        Map<Integer, Integer> byPrefix = new HashMap<>();
        for (JsonNode e : ours) byPrefix.put(e.get("key").get("prefixlen").asInt(), e.get("value").asInt());
        assertThat(byPrefix).containsEntry(24, 24).containsEntry(16, 16);
    }

    @Test
    void mapsWithoutBatchLookupAreWalkedByKeyAndShownInHexWithoutBtf() throws Exception {
        // a device map has no batch lookup (ENOTSUPP) and takes no BTF
        try (BpfMap dev = BpfMap.create(io.packetlens.ebpf.MapSpec.of("pl_ops_dev", io.packetlens.ebpf.MapType.DEVMAP, 4, 4, 4))) {
            dev.update(new byte[] {2, 0, 0, 0}, new byte[] {1, 0, 0, 0}); // slot 2 -> lo
            MapDump.Result[] r = new MapDump.Result[1];
            JsonNode ours = dumpJson(dev, r);
            assertThat(r[0].batched()).isFalse();
            assertThat(r[0].formatted()).isFalse();
            assertThat(ours).hasSize(1);
            assertThat(ours.get(0).get("key").asText()).isEqualTo("02 00 00 00");
            assertThat(ours.get(0).get("value").asText()).isEqualTo("01 00 00 00");
            ByteArrayOutputStream w = new ByteArrayOutputStream();
            MapDump.of(dev).writeText(w);
            assertThat(w.toString()).isEqualTo("key: 02 00 00 00  value: 01 00 00 00\n1 entries (keys and values in hex: it has no BTF)\n");
        }
    }

    @Test
    void globalDataIsFormattedByVariableAndTextHasOneLinePerEntry() throws Exception {
        MapDump.Result[] r = new MapDump.Result[1];
        JsonNode rodata = dumpJson(obj.map(".rodata"), r);
        assertThat(rodata).hasSize(1);
        assertThat(rodata.get(0).get("value").get("ops_marker").asInt()).isEqualTo(0x5eed);
        ByteArrayOutputStream w = new ByteArrayOutputStream();
        MapDump.Result t = MapDump.of(obj.map("ops_hash")).writeText(w);
        String[] lines = w.toString().split("\n");
        assertThat(lines).hasSize(N + 1);
        assertThat(lines[N]).isEqualTo(N + " entries");
        assertThat(w.toString()).contains("key: {addr: " + OpsValues.addr(6) + ", port: " + OpsValues.port(6) + ", proto: 6, pad: 0}"
                + "  value: {packets: 19, bytes: " + OpsValues.bytes(6) + ", ifname: \"eth6\", state: OPS_CLOSED, delta: -6, ports: ["
                + OpsValues.port(6) + ", " + (OpsValues.port(6) + 1) + "], flags: 6, kind: 6, seen: true}\n");
        assertThat(w.toString()).contains("state: 4,"); // a value that is no enumerator stays a number
        assertThat(t.entries()).isEqualTo(N);
    }

    @Test
    void aMapWithoutEntriesToDumpIsRefusedClearly() {
        try (BpfMap ring = BpfMap.create(io.packetlens.ebpf.MapSpec.of("pl_ops_ring", io.packetlens.ebpf.MapType.RINGBUF, 0, 0, 4096))) {
            assertThatThrownBy(() -> MapDump.of(ring)).hasMessageContaining("ringbuf, which has no key/value entries to dump");
        }
    }
}
