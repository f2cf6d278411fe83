package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.lab.Host;
import io.packetlens.lab.Traffic;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SO_ATTACH_BPF on an AF_PACKET capture socket and on an application's UDP socket, with real traffic. */
@KernelTest
class SocketFilterTest {
    static final int PORT = 9600;

    private static LinkLab fixture;
    private static Host a, b;
    private static BpfObject obj;

    @BeforeAll
    static void setUp() {
        fixture = LinkLab.open("/bpf/socket_test.bpf.o", "keep_port", PORT);
        a = fixture.a();
        b = fixture.b();
        obj = fixture.obj();
    }

    @AfterAll
    static void tearDown() {
        if (fixture != null) fixture.close();
    }

    /** Every frame or datagram the socket has queued or receives until it is quiet for the timeout. */
    private static List<byte[]> drain(NativeSocket s) {
        List<byte[]> out = new ArrayList<>();
        byte[] buf = new byte[4096];
        for (Optional<Integer> n; (n = s.receive(buf)).isPresent(); ) out.add(Arrays.copyOf(buf, n.get()));
        return out;
    }

    private static int udpDestinationPort(byte[] frame) {
        ByteBuffer f = ByteBuffer.wrap(frame);
        assertThat(f.getShort(12)).as("ethertype IPv4").isEqualTo((short) 0x0800);
        assertThat(frame[14 + 9]).as("protocol UDP").isEqualTo((byte) 17);
        return f.getShort(14 + (frame[14] & 0xf) * 4 + 2) & 0xffff;
    }

    @Test
    void filtersWhatAPacketSocketCaptures() throws Exception {
        try (NativeSocket unfiltered = b.call(() -> NativeSocket.packet().receiveTimeout(Duration.ofMillis(300)).bindToInterface(b.ifindex()))) {
            Datagrams.exchange(a, b, PORT + 1, 3);
            assertThat(drain(unfiltered)).as("without a filter the capture sees other ports").hasSizeGreaterThanOrEqualTo(3);
        }
        try (NativeSocket capture = b.call(() -> NativeSocket.packet().receiveTimeout(Duration.ofMillis(300)))) {
            SocketFilter filter = SocketFilter.attach(obj.program("keep_udp_port"), capture);
            assertThat(filter.detachesOnExit()).isTrue();
            assertThat(filter.isBpfLink()).isFalse();
            b.run(() -> capture.bindToInterface(b.ifindex()));

            assertThat(Datagrams.exchange(a, b, PORT, 4)).isEqualTo(4);
            assertThat(Datagrams.exchange(a, b, PORT + 1, 5)).isEqualTo(5);
            Traffic.ping(a, b, false, 2);
            List<byte[]> frames = drain(capture);
            assertThat(frames).hasSize(4).allSatisfy(f -> assertThat(udpDestinationPort(f)).isEqualTo(PORT));

            filter.close();
            Datagrams.exchange(a, b, PORT + 1, 2);
            assertThat(drain(capture)).as("after detach").hasSizeGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void filtersWhatAnApplicationsUdpSocketReceives() throws Exception {
        InetSocketAddress target = new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), PORT);
        try (NativeSocket socket = b.call(() -> NativeSocket.udp(false).reuseAddress().bind(target).receiveTimeout(Duration.ofMillis(400)))) {
            assertThat(socket.localAddress().getPort()).isEqualTo(PORT);
            SocketFilter filter = SocketFilter.attach(obj.program("drop_marked"), socket);
            send(target, "keep 1", "DROP 2", "keep 3", "DROP 4", "keep 5");
            assertThat(drain(socket)).extracting(d -> new String(d, StandardCharsets.UTF_8)).containsExactly("keep 1", "keep 3", "keep 5");
            filter.close();
            send(target, "DROP 6");
            assertThat(drain(socket)).extracting(d -> new String(d, StandardCharsets.UTF_8)).containsExactly("DROP 6");
        }
    }

    private static void send(InetSocketAddress target, String... payloads) throws Exception {
        a.run(() -> {
            try (DatagramSocket s = new DatagramSocket()) {
                for (String p : payloads) {
                    byte[] d = p.getBytes(StandardCharsets.UTF_8);
                    s.send(new DatagramPacket(d, d.length, target));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void refusesAProgramOfAnotherType() {
        ObjectSpec xdpSpec = ObjectSpec.fromResource(SocketFilterTest.class, "/bpf/xdp_test.bpf.o");
        try (BpfObject xdp = xdpSpec.load(); NativeSocket s = NativeSocket.udp(false)) {
            assertThatThrownBy(() -> SocketFilter.attach(xdp.program("xdp_pass_all"), s))
                    .isInstanceOf(BpfException.class).hasMessageContaining("is XDP, sockets take SOCKET_FILTER programs");
        }
    }
}
