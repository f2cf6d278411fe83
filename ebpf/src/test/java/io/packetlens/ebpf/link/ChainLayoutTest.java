package io.packetlens.ebpf.link;

import io.packetlens.ebpf.MapSpec;
import io.packetlens.ebpf.MapType;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import io.packetlens.ebpf.btf.BtfType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ChainLayout} and the constants of {@link XdpChain} against {@code packetlens_chain.h}, as compiled into
 * {@code chain_test.bpf.o}: record offsets and sizes from its BTF, macros from a {@code .rodata} array of them, the
 * chain map's shape and the slot variable's default from the object itself. No kernel needed.
 */
class ChainLayoutTest {
    private static final ObjectSpec SPEC = ObjectSpec.fromResource(ChainLayoutTest.class, "/bpf/chain_test.bpf.o");

    private static Map<String, Integer> offsets(String struct) {
        Btf btf = SPEC.btf();
        BtfType t = btf.findByName(BtfKind.STRUCT, struct).orElseThrow(() -> new AssertionError("no struct " + struct + " in BTF"));
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Btf.Member m : btf.members(t.id())) out.put(m.name(), m.bitOffset() / 8);
        out.put("sizeof", t.size());
        return out;
    }

    @Test
    void ownerRecordMatchesTheHeader() {
        assertThat(offsets("pl_xdp_chain_owner")).containsExactly(
                Map.entry("flags", ChainLayout.Owner.FLAGS), Map.entry("pid", ChainLayout.Owner.PID),
                Map.entry("start_time", ChainLayout.Owner.START_TIME), Map.entry("prog_id", ChainLayout.Owner.PROG_ID),
                Map.entry("slot_prog_id", ChainLayout.Owner.SLOT_PROG_ID), Map.entry("inner_map_id", ChainLayout.Owner.INNER_MAP_ID),
                Map.entry("pid_ns", ChainLayout.Owner.PID_NS), Map.entry("name", ChainLayout.Owner.NAME),
                Map.entry("sizeof", ChainLayout.Owner.SIZE));
        assertThat(ChainLayout.Owner.SIZE - ChainLayout.Owner.NAME).isEqualTo(ChainLayout.Owner.NAME_LEN);
    }

    @Test
    void metaRecordMatchesTheHeader() {
        assertThat(offsets("pl_xdp_chain_meta")).containsExactly(
                Map.entry("magic", ChainLayout.Meta.MAGIC), Map.entry("version", ChainLayout.Meta.VERSION),
                Map.entry("ifindex", ChainLayout.Meta.IFINDEX), Map.entry("xdp_mode", ChainLayout.Meta.XDP_MODE),
                Map.entry("dispatcher_id", ChainLayout.Meta.DISPATCHER_ID), Map.entry("link_id", ChainLayout.Meta.LINK_ID),
                Map.entry("net_ns", ChainLayout.Meta.NET_NS), Map.entry("sizeof", ChainLayout.Meta.SIZE));
    }

    @Test
    void macrosMatchTheJavaConstants() {
        ByteBuffer b = ByteBuffer.wrap(SPEC.variable("layout_constants").get()).order(ByteOrder.LITTLE_ENDIAN);
        int[] expected = {XdpChain.SLOTS, ChainLayout.NO_SLOT, XdpChain.SLOT_GUARD, XdpChain.SLOT_FLOW, XdpChain.SLOT_CAPTURE,
                XdpChain.SLOT_LOAD_BALANCER, ChainLayout.F_MEMBER, ChainLayout.F_PINNED, ChainLayout.F_PROCESS, ChainLayout.F_END,
                ChainLayout.MAGIC};
        int[] actual = new int[expected.length];
        for (int i = 0; i < actual.length; i++) actual[i] = b.getInt();
        assertThat(actual).containsExactly(expected);
        assertThat(b.remaining()).isZero();
        assertThat(ChainLayout.SLOTS).isEqualTo(XdpChain.SLOTS);
    }

    @Test
    void chainMapAndSlotVariableAreWhatTheChainExpects() {
        MapSpec chain = SPEC.map(XdpChain.CHAIN_MAP);
        assertThat(chain.type()).isEqualTo(MapType.PROG_ARRAY);
        assertThat(chain.keySize()).isEqualTo(4);
        assertThat(chain.valueSize()).isEqualTo(4);
        assertThat(chain.maxEntries()).isEqualTo(XdpChain.SLOTS);
        assertThat(SPEC.variable(XdpChain.SLOT_VARIABLE).isConstant()).isTrue();
        assertThat((int) SPEC.variable(XdpChain.SLOT_VARIABLE).getLong()).isEqualTo(ChainLayout.NO_SLOT);
        // prepare() checks the same and sets the slot
        ObjectSpec s = XdpChain.prepare(ObjectSpec.fromResource(ChainLayoutTest.class, "/bpf/chain_test.bpf.o"), XdpChain.SLOT_GUARD);
        assertThat(s.variable(XdpChain.SLOT_VARIABLE).getLong()).isEqualTo(XdpChain.SLOT_GUARD);
    }
}
