package io.packetlens.ebpf.events;

/**
 * A stream of events from a kernel program, over a ring buffer or a perf buffer (see
 * {@link EventChannels}): the application reads the same way on either, and can always ask
 * what was lost. One thread reads; {@link #wakeup()}, {@link #close()} and {@link #losses()}
 * may be called from any thread.
 */
public interface EventSource extends AutoCloseable {
    /** Returned by {@link #read} and {@link #poll} once the source is closed. */
    int CLOSED = -1;

    /** The channel carrying the events. */
    ChannelKind kind();

    /**
     * Hands available events to the handler, waiting up to {@code timeoutMillis} (negative:
     * forever) if there are none; returns how many (0 on timeout or wakeup), or {@link #CLOSED}.
     */
    int read(long timeoutMillis);

    /** Hands every available event to the handler without waiting; returns how many, or {@link #CLOSED}. */
    int poll();

    /** Makes a blocked read return early. */
    void wakeup();

    /** Everything lost so far, and the current backlog. */
    LossCounters losses();

    /** Stops reading: a blocked read returns {@link #CLOSED} promptly. The program and its maps stay loaded. */
    @Override
    void close();
}
