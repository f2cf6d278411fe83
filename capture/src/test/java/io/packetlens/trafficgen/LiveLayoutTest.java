package io.packetlens.trafficgen;

import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link LiveLayout} against the BTF clang wrote for trafficgen_live.bpf.c's structs. */
class LiveLayoutTest {
    private static Map<String, Integer> offsets(Btf btf, String struct) {
        BtfType t = btf.findByName(BtfKind.STRUCT, struct).orElseThrow(() -> new AssertionError("struct " + struct + " not in the BTF"));
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Btf.Member m : btf.members(t.id())) out.put(m.name(), m.bitOffset() / 8);
        out.put("sizeof", t.size());
        return out;
    }

    @Test
    void offsetsAndSizesMatchTheCompiledObject() {
        Btf btf = ObjectSpec.fromResource(LiveLayout.class, "/io/packetlens/programs/trafficgen_live.bpf.o").btf();
        assertThat(offsets(btf, "pl_gen_config")).containsAllEntriesOf(Map.of(
                "ifindex", LiveLayout.CFG_IFINDEX, "size", LiveLayout.CFG_SIZE, "period", LiveLayout.CFG_PERIOD,
                "part_at", LiveLayout.CFG_PART_AT, "rank_at", LiveLayout.CFG_RANK_AT, "parts", LiveLayout.CFG_PARTS,
                "sizeof", LiveLayout.CFG_BYTES));
        Map<String, Integer> part = new LinkedHashMap<>();
        part.put("frame", LiveLayout.PART_FRAME);
        part.put("first_src", LiveLayout.PART_FIRST_SRC);
        part.put("sources", LiveLayout.PART_SOURCES);
        part.put("ports", LiveLayout.PART_PORTS);
        part.put("ip_sum", LiveLayout.PART_IP_SUM);
        part.put("l4_sum", LiveLayout.PART_L4_SUM);
        part.put("l4_csum_off", LiveLayout.PART_L4_CSUM_OFF);
        part.put("weight", LiveLayout.PART_WEIGHT);
        part.put("sizeof", LiveLayout.PART_BYTES);
        assertThat(offsets(btf, "pl_gen_part")).containsAllEntriesOf(part);
    }
}
