package io.packetlens.export.ipfix;

import io.packetlens.export.ExportContext;
import io.packetlens.flow.FinishedFlow;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The encoder's bytes, checked against hand-written hex from RFC 7011's layouts and the IANA element table. */
class IpfixEncodingTest {
    private static final int PORT = 4731;

    /** IANA ids and lengths after the addresses, the same in both templates but for the ICMP type/code element. */
    private static String commonFields(String icmpIe) {
        return "00070002" + "000b0002" + icmpIe + "0002" + "00040001" + "00060002" + "00050001"
                + "00010008" + "01600008" + "00020008" + "00980008" + "00990008" + "000a0004" + "000e0004"
                + "003d0001" + "003a0002" + "00190008" + "001a0008" + "00880001" + "015f0008";
    }

    static final String IPV4_TEMPLATE = "0100" + "0015" + "00080004" + "000c0004" + commonFields("0020");
    static final String IPV6_TEMPLATE = "0101" + "0015" + "001b0010" + "001c0010" + commonFields("008b");

    static final String IPV4_TCP_RECORD = "0a000001" + "0a000002" + "9c40" + "0050" + "0000" + "06" + "0012" + "28"
            + "0000000000000190" + "00000000000001d6" + "0000000000000005" + "000001a21293b600" + "000001a21293bbdc"
            + "00000003" + "00000000" + "00" + "0007" + "000000000000003c" + "00000000000005dc" + "01" + "0000000000000000";
    static final String IPV6_ICMP_RECORD = "fd000000000000000000000000000001" + "fd000000000000000000000000000002"
            + "0000" + "0000" + "8000" + "3a" + "0000" + "00"
            + "0000000000000138" + "0000000000000162" + "0000000000000003" + "000001a21293b600" + "000001a21293b614"
            + "00000000" + "00000009" + "01" + "0000" + "0000000000000068" + "0000000000000068" + "04" + "0000000000000000";

    @Test
    void templateMessageHoldsEveryTemplateInOneTemplateSet() {
        ByteBuffer m = MessageBuilder.templateMessage(FlowTemplates.all());
        MessageBuilder.stamp(m, 0x65000000L, 0, 42);
        // the biflow templates: the one-way fields (count 0x19 = 21 + 4), then biflowDirection (239, 1 byte), and
        // reverseOctetDeltaCount / reversePacketDeltaCount / reverseTcpControlBits: ids 1, 2 and 6 with the enterprise
        // bit, PEN 29305
        String biflowTail = "00ef0001" + "8001" + "0008" + "00007279" + "8002" + "0008" + "00007279" + "8006" + "0002" + "00007279";
        String bi4 = "0102" + "0019" + IPV4_TEMPLATE.substring(8) + biflowTail;
        String bi6 = "0103" + "0019" + IPV6_TEMPLATE.substring(8) + biflowTail;
        int length = 16 + 4 + 88 + 88 + 2 * (88 + 4 + 8 + 8 + 8);
        assertThat(Messages.hex(m)).isEqualTo("000a" + "%04x".formatted(length) + "65000000" + "00000000" + "0000002a"
                + "0002" + "%04x".formatted(length - 16) + IPV4_TEMPLATE + IPV6_TEMPLATE + bi4 + bi6);
        assertThat(FlowTemplates.ipv4().recordLength()).isEqualTo(94);
        assertThat(FlowTemplates.ipv6().recordLength()).isEqualTo(118);
        assertThat(FlowTemplates.of(Flows.biflow()).recordLength()).isEqualTo(94 + 1 + 8 + 8 + 2);
    }

    @Test
    void dataRecordsOfAKnownIpv4AndIpv6FlowAreExactBytesInASetPerTemplate() {
        MessageBuilder b = new MessageBuilder(1472);
        assertThat(b.add(FlowTemplates.ipv4(), Flows.ipv4Tcp())).isTrue();
        assertThat(b.add(FlowTemplates.ipv6(), Flows.ipv6Icmp())).isTrue();
        ByteBuffer m = b.finish();
        MessageBuilder.stamp(m, 0x12345678L, 7, 42);
        assertThat(Messages.hex(m)).isEqualTo("000a" + "00ec" + "12345678" + "00000007" + "0000002a"
                + "0100" + "0062" + IPV4_TCP_RECORD + "0101" + "007a" + IPV6_ICMP_RECORD);
        assertThat(b.records()).isEqualTo(2);
    }

    @Test
    void aVxlanFlowCarriesItsVniAsLayer2SegmentId() {
        ByteBuffer out = ByteBuffer.allocate(128);
        FlowTemplates.ipv4().writeRecord(out, Flows.vxlan());
        String hex = Messages.hex(out.flip());
        assertThat(hex).hasSize(2 * 94);
        // RFC 7133: encapsulation type 0x01 (VXLAN) in the top octet, the 24-bit VNI in the low three
        assertThat(hex).startsWith("0af20001" + "0af20002" + "1388" + "1770");
        assertThat(hex.substring(hex.length() - 16)).isEqualTo("010000000000002a");
    }

    @Test
    void enterpriseSpecificFieldsCarryTheirEnterpriseNumber() {
        // the shape of an RFC 5103 biflow template: a reverse element is the forward id under enterprise 29305
        Template bi = new Template(300, "biflow", List.of(
                Field.iana("packetDeltaCount", Ie.PACKET_DELTA_COUNT, 8, (o, f) -> o.putLong(f.packets())),
                new Field("reversePacketDeltaCount", Ie.PACKET_DELTA_COUNT, Field.REVERSE_PEN, 8, (o, f) -> o.putLong(f.packets() * 2))));
        ByteBuffer out = ByteBuffer.allocate(64);
        bi.writeTemplateRecord(out);
        assertThat(Messages.hex(out.flip())).isEqualTo("012c" + "0002" + "00020008" + "8002" + "0008" + "00007279");
        assertThat(bi.templateRecordLength()).isEqualTo(16);
        out.clear();
        bi.writeRecord(out, Flows.ipv4Tcp());
        assertThat(Messages.hex(out.flip())).isEqualTo("0000000000000005" + "000000000000000a");
    }

    @Test
    void messagesStayWithinTheMtuAndSequenceNumbersCountDataRecords() throws Exception {
        for (int mtu : new int[] {1500, 576}) {
            List<byte[]> got = exportThroughUdp(mtu, 0, 100);
            int max = mtu - 28;
            int perMessage = (max - 16 - 4) / 94;
            assertThat(got).allSatisfy(d -> assertThat(d.length).isLessThanOrEqualTo(max));
            List<Messages> data = new ArrayList<>();
            for (byte[] d : got) {
                Messages m = Messages.parse(d);
                assertThat(m.version()).isEqualTo(10);
                assertThat(m.length()).isEqualTo(d.length);
                assertThat(m.domain()).isEqualTo(77);
                if (m.sets().getFirst().id() != 2) data.add(m);
            }
            assertThat(Messages.parse(got.getFirst()).sets()).extracting(Messages.Set::id).containsExactly(2);
            long expected = 0;
            for (Messages m : data) {
                assertThat(m.sequence()).as("records sent before this message").isEqualTo(expected);
                expected += m.dataRecords(94);
            }
            assertThat(expected).isEqualTo(100);
            // full messages until the last: the exporter packs, it does not send a datagram per record
            assertThat(data).hasSize((100 + perMessage - 1) / perMessage);
            assertThat(data.getFirst().dataRecords(94)).isEqualTo(perMessage);
        }
    }

    @Test
    void templatesAreRepeatedEveryNPacketsWhenAsked() throws Exception {
        List<byte[]> got = exportThroughUdp(1500, 3, 100); // 7 data messages of 16
        List<Integer> firstSets = got.stream().map(d -> Messages.parse(d).sets().getFirst().id()).toList();
        assertThat(firstSets).containsExactly(2, 256, 256, 256, 2, 256, 256, 256, 2, 256);
    }

    /** Sends {@code n} IPv4 records through a runner to a UDP socket of the test's and returns the datagrams. */
    private static List<byte[]> exportThroughUdp(int mtu, int refreshPackets, int n) throws Exception {
        try (DatagramChannel rx = DatagramChannel.open(StandardProtocolFamily.INET)) {
            rx.bind(new InetSocketAddress("127.0.0.1", PORT));
            rx.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
            IpfixSettings s = IpfixSettings.defaults(List.of(new Collector(Collector.Transport.UDP, new InetSocketAddress("127.0.0.1", PORT))), 77)
                    .withMtu(mtu).withTemplateRefresh(Duration.ofHours(1), refreshPackets);
            IpfixExporter exporter = new IpfixExporter(s, ExportContext.standalone());
            List<FinishedFlow> flows = new ArrayList<>();
            for (int i = 0; i < n; i++) flows.add(Flows.numbered(i, false));
            // one batch, so that the packing does not depend on how a runner's thread would drain its queue
            exporter.open();
            exporter.send(flows);
            exporter.flush();
            exporter.close();
            List<byte[]> got = new ArrayList<>();
            rx.configureBlocking(false);
            ByteBuffer buf = ByteBuffer.allocate(65536);
            while (rx.receive(buf.clear()) != null) {
                byte[] d = new byte[buf.flip().remaining()];
                buf.get(d);
                got.add(d);
            }
            assertThat(exporter.collectorStats().getFirst().records()).isEqualTo(n);
            return got;
        }
    }

    @Test
    void encodingARecordAllocatesNothing() {
        MessageBuilder b = new MessageBuilder(65535);
        FinishedFlow[] flows = new FinishedFlow[1024];
        for (int i = 0; i < flows.length; i++) flows[i] = Flows.numbered(i, i % 2 == 1);
        encode(b, flows, 2_000_000); // warm up, so the JIT has compiled the field writers
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().threadId();
        int n = 2_000_000;
        long before = threads.getThreadAllocatedBytes(tid);
        long t0 = System.nanoTime();
        encode(b, flows, n);
        long nanos = System.nanoTime() - t0;
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        System.out.printf("IPFIX encoding: %,d records in %.1f ms = %,.0f records/s, %.2f bytes allocated per record%n",
                n, nanos / 1e6, n * 1e9 / nanos, (double) allocated / n);
        assertThat((double) allocated / n).as("bytes allocated per record").isLessThan(1.0);
    }

    private static void encode(MessageBuilder b, FinishedFlow[] flows, int n) {
        for (int i = 0; i < n; i++) {
            FinishedFlow f = flows[i & (flows.length - 1)];
            Template t = FlowTemplates.of(f);
            if (!b.add(t, f)) {
                b.finish();
                b.reset();
                b.add(t, f);
            }
        }
    }
}
