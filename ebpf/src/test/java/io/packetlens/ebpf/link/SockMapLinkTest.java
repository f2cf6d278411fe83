package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** sk_msg and sk_skb programs on sockmaps (BPF_PROG_ATTACH to the map), with a real TCP connection. */
@KernelTest
class SockMapLinkTest {
    static final int PORT = 9800;

    private static Lab lab;
    private static Host a;
    private BpfObject obj;

    @BeforeAll
    static void setUp() {
        lab = Lab.create();
        a = lab.a();
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) lab.close();
    }

    @BeforeEach
    void load() {
        obj = ObjectSpec.fromResource(SockMapLinkTest.class, "/bpf/sockmap_test.bpf.o").load();
    }

    @AfterEach
    void unload() {
        obj.close();
    }

    private static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static byte[] pair(int local, int remote) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(local).putInt(remote).array();
    }

    private long counter(int slot) {
        return ByteBuffer.wrap(obj.map("redirected").lookup(u32(slot)).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    /** Bytes sent on {@code dev} in the lab host's namespace, per /proc/net/dev. */
    private static long txBytes(String dev) throws Exception {
        for (String line : a.exec("cat", "/proc/net/dev").split("\n")) {
            String[] f = line.strip().split("[:\\s]+");
            if (f[0].equals(dev)) return Long.parseLong(f[9]);
        }
        throw new AssertionError("no " + dev + " in /proc/net/dev");
    }

    @Test
    void skMsgCarriesAStreamIntoThePeerSocketWithoutTcpIp() throws Exception {
        BpfMap socks = obj.map("local_socks");
        InetSocketAddress address = new InetSocketAddress(InetAddress.ofLiteral(a.ipv4()), PORT);
        try (SockMapLink link = SockMapLink.attach(obj.program("msg_to_peer"), socks);
             NativeSocket listener = a.call(() -> NativeSocket.tcp(false).reuseAddress().bind(address).listen(1));
             NativeSocket client = a.call(() -> NativeSocket.tcp(false).connect(address));
             NativeSocket server = listener.accept()) {
            assertThat(link.attachType()).isEqualTo(AttachType.SK_MSG_VERDICT);
            assertThat(SockMapLink.attached(socks, AttachType.SK_MSG_VERDICT)).containsExactly(obj.program("msg_to_peer").id());
            int clientPort = client.localAddress().getPort();
            // programs attached to the map apply to sockets added afterwards
            socks.update(pair(clientPort, PORT), u32(client.fd()));
            socks.update(pair(PORT, clientPort), u32(server.fd()));

            byte[] data = new byte[1 << 20];
            new Random(4).nextBytes(data);
            long loBefore = txBytes("lo");
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> readFully(server, data.length),
                    r -> Thread.ofPlatform().daemon().start(r));
            client.send(data);
            assertThat(received.get(30, TimeUnit.SECONDS)).isEqualTo(data);
            // and back the other way
            byte[] reply = "thanks".getBytes();
            server.send(reply);
            assertThat(readFully(client, reply.length)).isEqualTo(reply);

            assertThat(counter(0)).as("bytes the sk_msg program redirected").isEqualTo(data.length + reply.length);
            assertThat(counter(1)).as("messages without a peer").isZero();
            assertThat(txBytes("lo") - loBefore).as("bytes through lo while 1 MiB moved").isLessThan(64 * 1024);
        }
        assertThat(SockMapLink.attached(socks, AttachType.SK_MSG_VERDICT)).isEmpty();
    }

    private static byte[] readFully(NativeSocket s, int n) {
        s.receiveTimeout(Duration.ofSeconds(10));
        byte[] out = new byte[n];
        byte[] buf = new byte[64 * 1024];
        int got = 0;
        while (got < n) {
            int r = s.receive(buf).orElseThrow(() -> new AssertionError("timed out"));
            if (r == 0) break;
            System.arraycopy(buf, 0, out, got, Math.min(r, n - got));
            got += r;
        }
        assertThat(got).isEqualTo(n);
        return out;
    }

    @Test
    void streamParserAndVerdictAttachDetachAndNeverReplaceEachOther() {
        BpfMap socks = obj.map("skb_socks");
        try (SockMapLink parser = SockMapLink.attach(obj.program("skb_parser"), socks);
             SockMapLink verdict = SockMapLink.attach(obj.program("skb_verdict"), socks)) {
            assertThat(parser.attachType()).isEqualTo(AttachType.SK_SKB_STREAM_PARSER);
            assertThat(SockMapLink.attached(socks, AttachType.SK_SKB_STREAM_PARSER)).containsExactly(obj.program("skb_parser").id());
            assertThat(SockMapLink.attached(socks, AttachType.SK_SKB_STREAM_VERDICT)).containsExactly(obj.program("skb_verdict").id());
            assertThatThrownBy(() -> SockMapLink.attach(obj.program("skb_verdict_other"), socks))
                    .isInstanceOf(BpfException.class)
                    .hasMessageContaining("the slot is taken by program 'skb_verdict'");
            verdict.close();
            assertThat(SockMapLink.attached(socks, AttachType.SK_SKB_STREAM_VERDICT)).isEmpty();
            try (SockMapLink other = SockMapLink.attach(obj.program("skb_verdict_other"), socks)) {
                assertThat(SockMapLink.attached(socks, AttachType.SK_SKB_STREAM_VERDICT)).containsExactly(obj.program("skb_verdict_other").id());
            }
        }
        assertThat(SockMapLink.attached(socks, AttachType.SK_SKB_STREAM_PARSER)).isEmpty();
    }

    @Test
    void badInputGetsAClearError() {
        assertThatThrownBy(() -> SockMapLink.attach(obj.program("msg_to_peer"), obj.map("redirected")))
                .isInstanceOf(BpfException.class).hasMessageContaining("is ARRAY; sk_skb and sk_msg programs attach to a SOCKMAP or SOCKHASH");
        assertThatThrownBy(() -> SockMapLink.attach(obj.program("msg_to_peer"), obj.map("skb_socks"), AttachType.SK_SKB_STREAM_VERDICT))
                .isInstanceOf(BpfException.class).hasMessageContaining("is SK_MSG, SK_SKB_STREAM_VERDICT needs an SK_SKB program");
        assertThatThrownBy(() -> SockMapLink.attach(obj.program("skb_parser"), obj.map("skb_socks"), AttachType.XDP))
                .isInstanceOf(BpfException.class).hasMessageContaining("not a sockmap attach type");
    }
}
