package io.packetlens.programs;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.link.SockMapLink;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.lab.Host;
import io.packetlens.lab.Lab;
import io.packetlens.testkit.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The article's proxy: a client in namespace a talks to a proxy in namespace b, which splices the connection to a
 * server back in namespace a. The payload crosses the veth twice each way and the kernel copies it from one socket to
 * the other; the proxy's user space never reads a byte.
 */
@KernelTest
class SocketProxyTest {
    static final int PROXY_PORT = 9900, SERVER_PORT = 9901;
    static final int REQUEST = 8 << 20, RESPONSE = 2 << 20;

    private static Lab lab;
    private static Host a, b;

    @BeforeAll
    static void setUp() {
        lab = Lab.create();
        a = lab.a();
        b = lab.b();
    }

    @AfterAll
    static void tearDown() {
        if (lab != null) lab.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] d = new byte[n];
        new Random(seed).nextBytes(d);
        return d;
    }

    private static <T> CompletableFuture<T> background(java.util.concurrent.Callable<T> task) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return task.call();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
    }

    @Test
    void carriesATcpStreamEndToEndByteForByteInsideTheKernel() throws Exception {
        byte[] request = random(REQUEST, 1);
        byte[] response = random(RESPONSE, 2);
        InetSocketAddress serverAddress = new InetSocketAddress(InetAddress.ofLiteral(a.ipv4()), SERVER_PORT);
        InetSocketAddress proxyAddress = new InetSocketAddress(InetAddress.ofLiteral(b.ipv4()), PROXY_PORT);
        try (SocketProxy proxy = SocketProxy.load();
             ServerSocket serverListener = a.call(() -> {
                 ServerSocket s = new ServerSocket();
                 s.setReuseAddress(true);
                 s.bind(serverAddress);
                 return s;
             });
             NativeSocket proxyListener = b.call(() -> NativeSocket.tcp(false).reuseAddress().bind(proxyAddress).listen(4))) {
            assertThat(SockMapLink.attached(proxy.socketMap(), AttachType.SK_SKB_STREAM_VERDICT)).hasSize(1);
            // the server reads exactly the request, then answers
            CompletableFuture<byte[]> serverGot = background(() -> {
                try (Socket s = serverListener.accept()) {
                    s.setSoTimeout(20_000);
                    byte[] got = new byte[REQUEST];
                    new DataInputStream(s.getInputStream()).readFully(got);
                    s.getOutputStream().write(response);
                    s.getOutputStream().flush();
                    // closing now is graceful: the request was read to its end, and queued response bytes still go out
                    return got;
                }
            });
            try (Socket client = a.call(() -> {
                Socket s = new Socket();
                s.connect(proxyAddress, 5_000);
                s.setSoTimeout(20_000);
                return s;
            });
                 NativeSocket downstream = proxyListener.accept();
                 NativeSocket upstream = b.call(() -> NativeSocket.tcp(false).connect(serverAddress))) {
                proxy.splice(downstream, upstream);

                client.getOutputStream().write(request);
                client.getOutputStream().flush();
                byte[] clientGot = new byte[RESPONSE];
                new DataInputStream(client.getInputStream()).readFully(clientGot);

                assertThat(serverGot.get(30, TimeUnit.SECONDS)).as("what the server received").isEqualTo(request);
                assertThat(clientGot).as("what the client received").isEqualTo(response);
                assertThat(proxy.bytesRedirected()).as("bytes moved by the kernel").isEqualTo((long) REQUEST + RESPONSE);
                assertThat(proxy.segmentsLeftToUserSpace()).isZero();
            }
        }
    }
}
