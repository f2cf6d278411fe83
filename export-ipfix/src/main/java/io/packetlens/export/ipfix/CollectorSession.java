package io.packetlens.export.ipfix;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The transport session with one collector: its socket, its sequence number (data records sent since the session
 * began, RFC 7011 section 3.1) and when it last had the templates. A UDP session lives as long as the exporter; a TCP
 * session is one connection, and a new one starts with templates and sequence number 0.
 */
abstract sealed class CollectorSession permits UdpSession, TcpSession {
    private static final System.Logger LOG = System.getLogger("packetlens.export.ipfix");

    final Collector collector;
    private long sequence;
    private boolean templatesDue = true;
    private long templatesAtNanos;
    private long messagesSinceTemplates;
    private boolean refusing;
    private long messages, records, refusedMessages, refusedRecords, templateMessages, connects;

    CollectorSession(Collector collector) {
        this.collector = collector;
    }

    /** Opens the socket if it is not open (a TCP session discards a broken connection first). */
    abstract void connect() throws IOException;

    abstract boolean isOpen();

    /**
     * Writes one whole message. Returns false when the kernel refused it and the session goes on (UDP); throws when the
     * session broke (TCP), after closing it.
     */
    abstract boolean write(ByteBuffer message) throws IOException;

    /** Checks, between writes, that the session still works (a TCP peer that closed); closes it and throws if not. */
    void check() throws IOException {}

    abstract void close();

    /** Whether templates must go out before the next data: a new session, or a UDP refresh that is due. */
    boolean templatesDue(long nowNanos, IpfixSettings s) {
        return templatesDue;
    }

    boolean refreshDue(long nowNanos, IpfixSettings s) {
        return nowNanos - templatesAtNanos >= s.templateRefresh().toNanos()
                || (s.templateRefreshPackets() > 0 && messagesSinceTemplates >= s.templateRefreshPackets());
    }

    /** Starts a new transport session: sequence 0, templates first. */
    void sessionStarted() {
        sequence = 0;
        templatesDue = true;
        connects++;
    }

    /**
     * Sends the template message (stamped with the current sequence number, which it does not advance). A datagram the
     * kernel refused leaves the templates due, so they go again before the next data message.
     */
    void sendTemplates(ByteBuffer templates, long nowNanos, long domain) throws IOException {
        MessageBuilder.stamp(templates, System.currentTimeMillis() / 1000, sequence, domain);
        if (!write(templates)) return;
        templatesDue = false;
        templatesAtNanos = nowNanos;
        messagesSinceTemplates = 0;
        templateMessages++;
    }

    /** Sends a data message of {@code n} records; returns whether the kernel took it. */
    boolean sendData(ByteBuffer message, int n, long domain) throws IOException {
        MessageBuilder.stamp(message, System.currentTimeMillis() / 1000, sequence, domain);
        boolean ok = write(message);
        // a refused datagram still advances the sequence number, so that the collector can see the gap
        sequence += n;
        messagesSinceTemplates++;
        if (ok) {
            messages++;
            records += n;
            refusing = false;
        } else {
            if (!refusing) {
                LOG.log(System.Logger.Level.WARNING, "IPFIX collector " + collector
                        + " refused a message (is it listening?); its records count as failed until it takes them again");
            }
            refusing = true;
            refusedMessages++;
            refusedRecords += n;
        }
        return ok;
    }

    long sequence() {
        return sequence;
    }

    CollectorStats stats() {
        return new CollectorStats(collector, isOpen(), messages, records, refusedMessages, refusedRecords, templateMessages, connects, sequence);
    }
}
