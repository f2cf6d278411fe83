package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.XdpAction;
import io.packetlens.ebpf.tracing.KernelBtf;
import io.packetlens.ebpf.tracing.Tracefs;
import io.packetlens.ebpf.tracing.TracepointFormat;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** skb:kfree_skb (tracepoint and raw tracepoint) reporting real drops with their reason, and xdp:xdp_exception. */
@KernelTest
class TracepointLinkTest {
    /** A closed UDP port: datagrams to it are dropped with reason NO_SOCKET. */
    static final int CLOSED_PORT = 9950;
    /** An unusual payload size, so the test's drops are told apart from anyone else's. */
    static final int PAYLOAD = 1111;

    private static Lab lab;
    private static Host a, b;
    private static TracepointFormat kfree;

    @BeforeAll
    static void setUp() {
        lab = Lab.create();
        a = lab.a();
        b = lab.b();
        kfree = Tracefs.format("skb", "kfree_skb");
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) lab.close();
    }

    private static ObjectSpec traceSpec() {
        ObjectSpec spec = ObjectSpec.fromResource(TracepointLinkTest.class, "/bpf/trace_test.bpf.o");
        spec.variable("kfree_skbaddr_off").set(kfree.field("skbaddr").offset());
        spec.variable("kfree_reason_off").set(kfree.field("reason").offset());
        spec.variable("skb_len_off").set(KernelBtf.offsetOf("sk_buff", "len"));
        TracepointFormat xdp = Tracefs.format("xdp", "xdp_exception");
        spec.variable("xdp_prog_id_off").set(xdp.field("prog_id").offset());
        spec.variable("xdp_act_off").set(xdp.field("act").offset());
        spec.variable("xdp_ifindex_off").set(xdp.field("ifindex").offset());
        return spec;
    }

    /** Drops by reason name, for skbs of one length. */
    private static Map<String, Long> drops(BpfMap map, int len) {
        Map<String, Long> out = new HashMap<>();
        for (byte[] key : map.keys()) {
            ByteBuffer k = ByteBuffer.wrap(key).order(ByteOrder.nativeOrder());
            if (k.getInt(4) != len) continue;
            long n = ByteBuffer.wrap(map.lookup(key).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
            out.merge(kfree.symbol("reason", k.getInt(0)).orElse("reason " + k.getInt(0)), n, Long::sum);
        }
        return out;
    }

    private static void sendToClosedPort(int count) throws Exception {
        a.run(() -> {
            try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                byte[] payload = new byte[PAYLOAD];
                for (int i = 0; i < count; i++) {
                    s.send(new java.net.DatagramPacket(payload, payload.length,
                            new java.net.InetSocketAddress(java.net.InetAddress.ofLiteral(b.ipv4()), CLOSED_PORT)));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void formatGivesFieldsAndDropReasonNames() {
        assertThat(kfree.id()).isEqualTo(Tracefs.eventId("skb", "kfree_skb"));
        assertThat(kfree.field("reason").size()).isEqualTo(4);
        assertThat(kfree.value("reason", "NO_SOCKET")).isPresent();
        assertThat(kfree.symbol("reason", kfree.value("reason", "NO_SOCKET").get())).contains("NO_SOCKET");
        assertThat(Tracefs.root().resolve("events/skb/kfree_skb/id")).exists();
    }

    @Test
    void kfreeSkbReportsADroppedPacketWithItsReason() throws Exception {
        try (BpfObject obj = traceSpec().load()) {
            // the skb reaches the UDP layer with the UDP header and payload left
            int len = 8 + PAYLOAD;
            try (TracepointLink tp = TracepointLink.attach(obj.program("on_kfree_skb"), "skb", "kfree_skb");
                 RawTracepointLink raw = RawTracepointLink.attach(obj.program("raw_kfree_skb"), "kfree_skb")) {
                assertThat(tp.isBpfLink()).isTrue();
                assertThat(tp.tracepoint()).isEqualTo("skb:kfree_skb");
                assertThat(raw.isBpfLink()).isTrue();
                assertThat(Leftovers.linkedPrograms(a)).contains(obj.program("on_kfree_skb").id(), obj.program("raw_kfree_skb").id());
                sendToClosedPort(5);
                // drops happen in softirq context right after the send; give it a moment to be counted
                for (int i = 0; i < 50 && drops(obj.map("tp_drops"), len).getOrDefault("NO_SOCKET", 0L) < 5; i++) Thread.sleep(20);
                assertThat(drops(obj.map("tp_drops"), len)).containsEntry("NO_SOCKET", 5L);
                assertThat(drops(obj.map("raw_drops"), len)).containsEntry("NO_SOCKET", 5L);
            }
            assertThat(Leftovers.linkedPrograms(a)).doesNotContain(obj.program("on_kfree_skb").id(), obj.program("raw_kfree_skb").id());
            sendToClosedPort(2);
            Thread.sleep(100);
            assertThat(drops(obj.map("tp_drops"), len)).as("nothing counted after close").containsEntry("NO_SOCKET", 5L);
        }
    }

    @Test
    void xdpExceptionReportsAbortedPackets() throws Exception {
        ObjectSpec xdpSpec = ObjectSpec.fromResource(TracepointLinkTest.class, "/bpf/xdp_test.bpf.o");
        xdpSpec.variable("drop_port").set(CLOSED_PORT);
        try (BpfObject xdp = xdpSpec.load()) {
            ObjectSpec spec = traceSpec();
            spec.variable("watch_ifindex").set(b.ifindex());
            spec.variable("watch_prog_id").set(xdp.program("xdp_abort_port").id());
            try (BpfObject obj = spec.load();
                 TracepointLink tp = TracepointLink.attach(obj.program("on_xdp_exception"), "xdp", "xdp_exception");
                 XdpLink abort = b.call(() -> XdpLink.attach(xdp.program("xdp_abort_port"), "veth0", XdpMode.DRIVER))) {
                assertThat(Datagrams.exchange(a, b, CLOSED_PORT, 4)).as("aborted datagrams arrive").isZero();
                byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(XdpAction.ABORTED.ordinal()).array();
                long aborted = ByteBuffer.wrap(obj.map("xdp_exceptions").lookup(key).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
                assertThat(aborted).isEqualTo(4);
            }
        }
        Leftovers.assertNothingAttached(b);
    }

    @Test
    void badInputGetsAClearError() throws Exception {
        try (BpfObject obj = traceSpec().load()) {
            assertThatThrownBy(() -> TracepointLink.attach(obj.program("on_kfree_skb"), "skb", "no_such_event"))
                    .isInstanceOf(BpfException.NotFoundException.class).hasMessageContaining("no tracepoint skb:no_such_event");
            assertThatThrownBy(() -> TracepointLink.attach(obj.program("raw_kfree_skb"), "skb", "kfree_skb"))
                    .isInstanceOf(BpfException.class).hasMessageContaining("is RAW_TRACEPOINT, tracepoints take TRACEPOINT programs");
            assertThatThrownBy(() -> RawTracepointLink.attach(obj.program("raw_kfree_skb"), "no_such_event"))
                    .isInstanceOf(BpfException.class).hasMessageContaining("no tracepoint of that name");
            assertThatThrownBy(() -> RawTracepointLink.attach(obj.program("on_kfree_skb"), "kfree_skb"))
                    .isInstanceOf(BpfException.class).hasMessageContaining("is TRACEPOINT, raw tracepoints take RAW_TRACEPOINT programs");
        }
    }
}
