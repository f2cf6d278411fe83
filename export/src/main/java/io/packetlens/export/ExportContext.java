package io.packetlens.export;

import java.util.Objects;
import java.util.function.IntFunction;

/**
 * What an exporter learns from the agent that runs it: interface names for ifindexes and the
 * observation domain; and where it reports deliveries that it only learns about later (an
 * asynchronous client). Each exporter gets a context of its own, which its {@link ExporterRunner}
 * counts.
 */
public final class ExportContext {
    /** Told of deliveries an exporter reports. */
    interface DeliveryListener {
        void delivered(long records);

        void failed(long records, Throwable cause);
    }

    private final IntFunction<String> names;
    private final long observationDomain;
    private volatile DeliveryListener listener;

    public ExportContext(IntFunction<String> names, long observationDomain) {
        this.names = Objects.requireNonNull(names);
        this.observationDomain = observationDomain;
    }

    /** A context for tests and tools: names are {@code if<N>}, domain 0. */
    public static ExportContext standalone() {
        return new ExportContext(i -> "if" + i, 0);
    }

    /** The interface name for a kernel ifindex as the agent attached it, or {@code if<N>}. */
    public String interfaceName(int ifindex) {
        return names.apply(ifindex);
    }

    /** The IPFIX observation domain id of this agent (from the configuration; 0 by default). */
    public long observationDomain() {
        return observationDomain;
    }

    /** For exporters that {@linkplain Exporter#reportsDelivery() report delivery}: {@code records} reached the destination. */
    public void delivered(long records) {
        DeliveryListener l = listener;
        if (l != null) l.delivered(records);
    }

    /** For exporters that report delivery: {@code records} could not be delivered, because of {@code cause}. */
    public void failed(long records, Throwable cause) {
        DeliveryListener l = listener;
        if (l != null) l.failed(records, cause);
    }

    void bind(DeliveryListener l) {
        if (listener != null) throw new IllegalStateException("this context already belongs to a runner");
        listener = l;
    }
}
