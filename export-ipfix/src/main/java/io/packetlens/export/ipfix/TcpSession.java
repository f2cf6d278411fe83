package io.packetlens.export.ipfix;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * One TCP connection to a collector (RFC 7011 section 10.4): a stream of messages that starts with the templates. The
 * socket is non-blocking so that connecting and writing have time limits; before each write it is read once, because
 * a collector never sends anything and a readable socket means it closed or reset the connection, which is found
 * out here before records are written into a dead connection. Any failure closes the connection; {@link #connect()}
 * makes a new one, a new transport session.
 */
final class TcpSession extends CollectorSession {
    private final Duration connectTimeout;
    private final Duration writeTimeout;
    private final ByteBuffer probe = ByteBuffer.allocate(256);
    private SocketChannel channel;
    private Selector selector;
    private SelectionKey key;

    TcpSession(Collector collector, Duration connectTimeout, Duration writeTimeout) {
        super(collector);
        this.connectTimeout = connectTimeout;
        this.writeTimeout = writeTimeout;
    }

    @Override
    void connect() throws IOException {
        if (isOpen()) return;
        close();
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            selector = Selector.open();
            key = channel.register(selector, SelectionKey.OP_CONNECT);
            if (!channel.connect(collector.address())) {
                if (selector.select(Math.max(1, connectTimeout.toMillis())) == 0) {
                    throw new SocketTimeoutException("no connection within " + connectTimeout.toMillis() + " ms");
                }
                selector.selectedKeys().clear();
                channel.finishConnect();
            }
            key.interestOps(SelectionKey.OP_WRITE);
        } catch (IOException e) {
            close();
            throw new IOException("IPFIX collector " + collector + ": connect failed: " + e.getMessage(), e);
        }
        sessionStarted();
    }

    @Override
    boolean isOpen() {
        return channel != null && channel.isOpen() && channel.isConnected();
    }

    @Override
    void check() throws IOException {
        if (!isOpen()) throw new IOException("IPFIX collector " + collector + ": not connected");
        try {
            probe.clear();
            if (channel.read(probe) < 0) throw new IOException("the collector closed the connection");
        } catch (IOException e) {
            close();
            throw new IOException("IPFIX collector " + collector + ": " + e.getMessage(), e);
        }
    }

    @Override
    boolean write(ByteBuffer message) throws IOException {
        check();
        try {
            long deadline = System.nanoTime() + writeTimeout.toNanos();
            while (message.hasRemaining()) {
                if (channel.write(message) > 0) continue;
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new SocketTimeoutException("the collector took nothing for " + writeTimeout.toMillis() + " ms");
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
            return true;
        } catch (IOException e) {
            close();
            throw new IOException("IPFIX collector " + collector + ": write failed: " + e.getMessage(), e);
        }
    }

    @Override
    void close() {
        try {
            if (selector != null) selector.close();
            if (channel != null) channel.close();
        } catch (IOException e) {
            // the connection is being given up; nothing more can go wrong that matters
        } finally {
            selector = null;
            channel = null;
            key = null;
        }
    }
}
