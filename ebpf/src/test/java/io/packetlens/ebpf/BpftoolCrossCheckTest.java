package io.packetlens.ebpf;

import com.fasterxml.jackson.databind.JsonNode;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.packetlens.ebpf.MapTypesTest.keyInt;
import static io.packetlens.ebpf.MapTypesTest.u32;
import static io.packetlens.ebpf.MapTypesTest.u64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What Java writes, bpftool reads, and the other way round: the library against an independent implementation. */
@KernelTest
class BpftoolCrossCheckTest {

    private static List<String> args(Object... parts) {
        List<String> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof byte[] b) out.addAll(Bpftool.hexArgs(b));
            else out.add(String.valueOf(p));
        }
        return out;
    }

    private static void bpftool(Object... parts) throws Exception {
        Bpftool.run(args(parts).toArray(String[]::new));
    }

    @Test
    void bpftoolSeesWhatJavaWrote() throws Exception {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_xcheck", MapType.HASH, 4, 8, 256))) {
            Map<Integer, Long> written = new HashMap<>();
            for (int k = 0; k < 100; k++) {
                long v = 0x0102030405060708L * (k + 1);
                m.update(u32(k * 7919), u64(v));
                written.put(k * 7919, v);
            }
            JsonNode show = Bpftool.json("map", "show", "id", String.valueOf(m.id()));
            assertThat(show.get("id").asInt()).isEqualTo(m.id());
            assertThat(show.get("type").asText()).isEqualTo("hash");
            assertThat(show.get("name").asText()).isEqualTo("t_xcheck");
            assertThat(show.get("bytes_key").asInt()).isEqualTo(4);
            assertThat(show.get("bytes_value").asInt()).isEqualTo(8);
            assertThat(show.get("max_entries").asInt()).isEqualTo(256);

            JsonNode dump = Bpftool.json("map", "dump", "id", String.valueOf(m.id()));
            assertThat(dump.isArray()).isTrue();
            Map<Integer, Long> seen = new HashMap<>();
            for (JsonNode e : dump) {
                byte[] key = Bpftool.bytes(e.get("key"));
                byte[] value = Bpftool.bytes(e.get("value"));
                assertThat(key).hasSize(4);
                assertThat(value).hasSize(8);
                seen.put(keyInt(key), java.nio.ByteBuffer.wrap(value).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
            }
            assertThat(seen).isEqualTo(written);
        }
    }

    @Test
    void bpftoolSeesEachCpusValue() throws Exception {
        int cpus = Cpus.possible();
        try (BpfMap m = BpfMap.create(MapSpec.of("t_xcheck_pcpu", MapType.PERCPU_HASH, 4, 4, 8))) {
            var t = m.typed(Codec.U32, Codec.U32);
            List<Integer> values = new ArrayList<>();
            for (int cpu = 0; cpu < cpus; cpu++) values.add(0x11 * (cpu + 1));
            t.putPerCpu(5, values);
            JsonNode dump = Bpftool.json("map", "dump", "id", String.valueOf(m.id()));
            assertThat(dump).hasSize(1);
            assertThat(keyInt(Bpftool.bytes(dump.get(0).get("key")))).isEqualTo(5);
            JsonNode perCpu = dump.get(0).get("values");
            assertThat(perCpu).hasSize(cpus);
            for (int cpu = 0; cpu < cpus; cpu++) {
                assertThat(perCpu.get(cpu).get("cpu").asInt()).isEqualTo(cpu);
                assertThat(keyInt(Bpftool.bytes(perCpu.get(cpu).get("value")))).isEqualTo(values.get(cpu));
            }
        }
    }

    record PortStats(long packets, long bytes) {}

    @Test
    void bpftoolFormatsRecordsWrittenThroughACodecWithTheObjectsBtf() throws Exception {
        ObjectSpec spec = TestObjects.loaderTest();
        spec.map("pinned_cfg").pinning(Pinning.NONE);
        try (BpfObject obj = spec.load()) {
            BpfMap byPort = obj.map("by_port");
            var t = byPort.typed(Codec.U16, Codec.ofRecord(PortStats.class));
            t.put((short) 53, new PortStats(3, 300));
            t.put((short) 8080, new PortStats(1L << 40, 7));
            JsonNode dump = Bpftool.json("map", "dump", "id", String.valueOf(byPort.id()));
            Map<Integer, JsonNode> formatted = new HashMap<>();
            for (JsonNode e : dump) formatted.put(e.get("formatted").get("key").asInt(), e.get("formatted").get("value"));
            assertThat(formatted).containsOnlyKeys(53, 8080);
            assertThat(formatted.get(53).get("packets").asLong()).isEqualTo(3);
            assertThat(formatted.get(53).get("bytes").asLong()).isEqualTo(300);
            assertThat(formatted.get(8080).get("packets").asLong()).isEqualTo(1L << 40);
            assertThat(formatted.get(8080).get("bytes").asLong()).isEqualTo(7);
        }
    }

    @Test
    void javaSeesWhatBpftoolWrote() throws Exception {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_xcheck_rev", MapType.HASH, 4, 8, 16))) {
            String id = String.valueOf(m.id());
            bpftool("map", "update", "id", id, "key", u32(0xabcdef), "value", u64(0x1122334455667788L));
            bpftool("map", "update", "id", id, "key", u32(2), "value", u64(2));
            assertThat(m.lookup(u32(0xabcdef))).hasValue(u64(0x1122334455667788L));
            assertThat(m.keys()).extracting(MapTypesTest::keyInt).containsExactlyInAnyOrder(0xabcdef, 2);
            // bpftool's flags mean what ours do
            assertThatThrownBy(() -> bpftool("map", "update", "id", id, "key", u32(2), "value", u64(3), "noexist"))
                    .hasMessageContaining("File exists");
            bpftool("map", "update", "id", id, "key", u32(2), "value", u64(4), "exist");
            assertThat(m.lookup(u32(2))).hasValue(u64(4));
            bpftool("map", "delete", "id", id, "key", u32(2));
            assertThat(m.lookup(u32(2))).isEmpty();
            // and Java writes over what bpftool wrote, bpftool reading it back
            m.update(u32(0xabcdef), u64(9), UpdateFlag.EXIST);
            JsonNode e = Bpftool.json(args("map", "lookup", "id", id, "key", u32(0xabcdef)).toArray(String[]::new));
            assertThat(Bpftool.bytes(e.get("value"))).isEqualTo(u64(9));
        }
    }

    @Test
    void bpftoolPerCpuUpdateReachesEveryCpu() throws Exception {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_xcheck_parr", MapType.PERCPU_ARRAY, 4, 8, 4))) {
            bpftool("map", "update", "id", String.valueOf(m.id()), "key", u32(3), "value", u64(0x77));
            assertThat(m.typed(Codec.U32, Codec.U64).getPerCpu(3)).hasSize(Cpus.possible()).containsOnly(0x77L);
        }
    }

    @Test
    void lpmTrieEntriesAgree() throws Exception {
        try (BpfMap m = BpfMap.create(MapSpec.of("t_xcheck_lpm", MapType.LPM_TRIE, 8, 4, 8).flags(MapSpec.F_NO_PREALLOC))) {
            var t = m.typed(Codec.ofRecord(MapTypesTest.Lpm4.class), Codec.U32);
            t.put(MapTypesTest.Lpm4.of("192.168.0.0/16"), 16);
            // bpftool writes 10.0.0.0/8: prefix length (host order) then the address bytes in network order
            bpftool("map", "update", "id", String.valueOf(m.id()), "key", new byte[] {8, 0, 0, 0, 10, 0, 0, 0}, "value", u32(8));
            assertThat(t.get(MapTypesTest.Lpm4.of("10.9.8.7"))).contains(8);
            JsonNode dump = Bpftool.json("map", "dump", "id", String.valueOf(m.id()));
            List<byte[]> keys = new ArrayList<>();
            for (JsonNode e : dump) keys.add(Bpftool.bytes(e.get("key")));
            assertThat(keys).containsExactlyInAnyOrder(new byte[] {8, 0, 0, 0, 10, 0, 0, 0}, new byte[] {16, 0, 0, 0, (byte) 192, (byte) 168, 0, 0});
        }
    }
}
