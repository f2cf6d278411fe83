package io.packetlens.conntrack;

import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.btf.Btf;
import io.packetlens.ebpf.btf.BtfKind;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The Java layouts against the object's own BTF: sizes and member offsets of the key, the entry and a direction. */
class ConntrackLayoutTest {
    private final Btf btf = ObjectSpec.fromResource(ConntrackLayoutTest.class, ConntrackLayout.OBJECT).btf();

    private Map<String, Integer> offsets(String struct) {
        int id = btf.findByName(BtfKind.STRUCT, struct).orElseThrow().id();
        return btf.members(id).stream().collect(Collectors.toMap(Btf.Member::name, m -> m.bitOffset() / 8));
    }

    private long size(String struct) {
        return btf.sizeOf(btf.findByName(BtfKind.STRUCT, struct).orElseThrow().id());
    }

    @Test
    void javaLayoutsMatchTheKernelStructs() {
        assertThat(size("pl_ct_key")).isEqualTo(ConntrackLayout.Key.SIZE);
        assertThat(offsets("pl_ct_key")).containsEntry("port", ConntrackLayout.Key.PORT0).containsEntry("proto", ConntrackLayout.Key.PROTO)
                .containsEntry("zone", ConntrackLayout.Key.ZONE).containsEntry("addr", ConntrackLayout.Key.ADDR0);
        assertThat(size("pl_ct_entry")).isEqualTo(ConntrackLayout.Entry.SIZE);
        assertThat(offsets("pl_ct_entry")).containsEntry("state", ConntrackLayout.Entry.STATE).containsEntry("flags", ConntrackLayout.Entry.FLAGS)
                .containsEntry("ifindex", ConntrackLayout.Entry.IFINDEX).containsEntry("first_ns", ConntrackLayout.Entry.FIRST_NS)
                .containsEntry("last_ns", ConntrackLayout.Entry.LAST_NS).containsEntry("syn_ns", ConntrackLayout.Entry.SYN_NS)
                .containsEntry("synack_ns", ConntrackLayout.Entry.SYNACK_NS).containsEntry("ack_ns", ConntrackLayout.Entry.ACK_NS)
                .containsEntry("event_seq", ConntrackLayout.Entry.EVENT_SEQ).containsEntry("dir", ConntrackLayout.Entry.DIR0);
        // struct pl_ct_event lives on the stack only, so clang leaves it out of the BTF: ConntrackLabTest's event
        // test reads every one of its fields back instead
        assertThat(size("pl_ct_dir")).isEqualTo(ConntrackLayout.Dir.SIZE);
        assertThat(ConntrackLayout.Entry.DIR1 - ConntrackLayout.Entry.DIR0).isEqualTo(ConntrackLayout.Dir.SIZE);
        assertThat(offsets("pl_ct_dir")).containsEntry("packets", ConntrackLayout.Dir.PACKETS).containsEntry("bytes", ConntrackLayout.Dir.BYTES)
                .containsEntry("next_seq", ConntrackLayout.Dir.NEXT_SEQ).containsEntry("retransmits", ConntrackLayout.Dir.RETRANSMITS)
                .containsEntry("out_of_order", ConntrackLayout.Dir.OUT_OF_ORDER).containsEntry("zero_window", ConntrackLayout.Dir.ZERO_WINDOW)
                .containsEntry("seq_valid", ConntrackLayout.Dir.SEQ_VALID).containsEntry("fin_seen", ConntrackLayout.Dir.FIN_SEEN)
                .containsEntry("tcp_flags", ConntrackLayout.Dir.TCP_FLAGS);
        assertThat(ConntrackCounter.values()).hasSize(11); // PL_CT_CNT_MAX
    }
}
