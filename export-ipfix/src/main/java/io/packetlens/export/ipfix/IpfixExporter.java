package io.packetlens.export.ipfix;

import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.flow.FinishedFlow;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exports finished flows as IPFIX (RFC 7011) to one or more collectors over UDP or TCP; every collector gets every
 * record. Records are encoded once into a reused message buffer ({@link MessageBuilder}), which goes to each collector
 * when it is full and on {@link #flush()}; each collector's transport session stamps its own header (sequence number,
 * export time). Templates ({@link FlowTemplates}) go first on each new session, again over UDP every
 * {@code template-refresh} (checked on {@link #tick} too, so an idle exporter still announces them).
 *
 * <p>A TCP failure throws: the runner backs off, calls {@link #open()}, which reconnects the broken sessions (new
 * connection, templates first, sequence 0), and retries the batch; what was already encoded of it is not encoded again,
 * and collectors that already have the current message do not get it twice. A UDP datagram the kernel refuses does not
 * throw: its records are reported as failed (see {@link DeliveryLedger}) and exporting goes on.
 */
public final class IpfixExporter implements Exporter {
    private final IpfixSettings settings;
    private final List<CollectorSession> sessions = new ArrayList<>();
    private final MessageBuilder builder;
    private final ByteBuffer templates;
    private final DeliveryLedger ledger;
    /** Sessions that have the finished message being sent (it is kept until all do). */
    private final boolean[] done;
    private boolean sending;
    private Throwable refusal;
    /** Index into the batch being sent: records before it are encoded already (a retried batch resumes here). */
    private int resume;

    public IpfixExporter(IpfixSettings settings, ExportContext context) {
        this.settings = settings;
        for (Collector c : settings.collectors()) {
            sessions.add(c.transport() == Collector.Transport.UDP ? new UdpSession(c)
                    : new TcpSession(c, settings.connectTimeout(), settings.writeTimeout()));
        }
        this.builder = new MessageBuilder(settings.messageLength());
        this.templates = MessageBuilder.templateMessage(FlowTemplates.all());
        this.ledger = new DeliveryLedger(context);
        this.done = new boolean[sessions.size()];
    }

    public IpfixSettings settings() {
        return settings;
    }

    /** Opens what is not open: every socket the first time, later the TCP sessions that broke. */
    @Override
    public void open() throws IOException {
        IOException first = null;
        for (CollectorSession s : sessions) {
            try {
                s.connect();
            } catch (IOException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    @Override
    public void send(List<FinishedFlow> flows) throws IOException {
        if (!ledger.inBatch()) {
            ledger.beginBatch();
            resume = 0;
        }
        if (sending) dispatch();
        for (int i = resume; i < flows.size(); ) {
            FinishedFlow f = flows.get(i);
            Template t = FlowTemplates.of(f);
            if (builder.add(t, f)) {
                ledger.encoded();
                resume = ++i;
            } else if (builder.isEmpty()) {
                throw new IllegalStateException(t + " does not fit in a message of " + builder.maxLength() + " bytes");
            } else {
                dispatch();
            }
        }
        ledger.endBatch();
    }

    @Override
    public void flush() throws IOException {
        if (sending || !builder.isEmpty()) dispatch();
    }

    /** Resends templates that are due on UDP sessions and notices TCP connections the collector closed. */
    @Override
    public void tick(long nowNanos) throws IOException {
        for (CollectorSession s : sessions) {
            if (!s.isOpen()) throw new IOException("IPFIX collector " + s.collector + " is not connected");
            s.check();
            if (s.templatesDue(nowNanos, settings)) s.sendTemplates(templates, nowNanos, settings.observationDomain());
        }
    }

    @Override
    public long tickInterval() {
        long refresh = settings.templateRefresh().toNanos();
        return Math.max(10_000_000L, Math.min(1_000_000_000L, refresh / 4));
    }

    @Override
    public boolean reportsDelivery() {
        return true;
    }

    /** Counters per collector, in configuration order. */
    public List<CollectorStats> collectorStats() {
        return sessions.stream().map(CollectorSession::stats).toList();
    }

    /** Writes the finished message to every session that does not have it yet; on a failure the rest wait for the retry. */
    private void dispatch() throws IOException {
        if (!sending) {
            sending = true;
            refusal = null;
        }
        ByteBuffer message = builder.finish();
        int n = builder.records();
        long now = System.nanoTime();
        long domain = settings.observationDomain();
        for (int i = 0; i < sessions.size(); i++) {
            if (done[i]) continue;
            CollectorSession s = sessions.get(i);
            if (!s.isOpen()) throw new IOException("IPFIX collector " + s.collector + " is not connected");
            if (s.templatesDue(now, settings)) s.sendTemplates(templates, now, domain);
            if (!s.sendData(message, n, domain) && refusal == null) {
                refusal = new IOException("IPFIX collector " + s.collector + " refused the message (UDP: nothing listening?)");
            }
            done[i] = true;
        }
        ledger.sent(n, refusal);
        Arrays.fill(done, false);
        sending = false;
        builder.reset();
    }

    @Override
    public void close() {
        ledger.close(new IOException("the IPFIX exporter closed before these records were sent"));
        for (CollectorSession s : sessions) s.close();
    }
}
