package io.packetlens.export.ipfix;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * A connected UDP socket towards one collector. UDP is fire-and-forget: a datagram the kernel refuses (ECONNREFUSED
 * after an ICMP port unreachable for an earlier one, an unreachable network) is counted and the session goes on, so a
 * collector that is down or starts late costs only the records sent meanwhile. Templates are resent periodically, since
 * the collector may have restarted.
 */
final class UdpSession extends CollectorSession {
    private DatagramChannel channel;

    UdpSession(Collector collector) {
        super(collector);
    }

    @Override
    void connect() throws IOException {
        if (channel != null && channel.isOpen()) return;
        DatagramChannel c = DatagramChannel.open(collector.address().getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            c.connect(collector.address());
        } catch (IOException e) {
            c.close();
            throw new IOException("IPFIX collector " + collector + ": " + e.getMessage(), e);
        }
        channel = c;
        sessionStarted();
    }

    @Override
    boolean isOpen() {
        return channel != null && channel.isOpen();
    }

    @Override
    boolean templatesDue(long nowNanos, IpfixSettings s) {
        return super.templatesDue(nowNanos, s) || refreshDue(nowNanos, s);
    }

    @Override
    boolean write(ByteBuffer message) throws IOException {
        try {
            channel.write(message);
            return true;
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            // PortUnreachableException (ECONNREFUSED), ENETUNREACH, ENOBUFS...: this datagram is lost, the next may pass
            return false;
        }
    }

    @Override
    void close() {
        try {
            if (channel != null) channel.close();
        } catch (IOException e) {
            // closing a datagram socket has nothing to flush
        }
    }
}
