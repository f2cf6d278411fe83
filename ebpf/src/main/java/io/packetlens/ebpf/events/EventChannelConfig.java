package io.packetlens.ebpf.events;

import io.packetlens.ebpf.perf.PerfBufferOptions;

import java.util.Locale;
import java.util.Objects;

/**
 * How a program's event channels are set up: which channel ({@link Mode#AUTO} asks the kernel
 * whether it has ring buffers), the ring buffer size, and the perf buffer options.
 *
 * @param mode      AUTO, or a forced channel
 * @param ringBytes ring buffer size in bytes (power of two, multiple of the page size); 0 keeps the program's
 * @param perf      perf buffer ring size and wakeup policy
 */
public record EventChannelConfig(Mode mode, int ringBytes, PerfBufferOptions perf) {
    /** Environment variable and system property that force the channel (auto, ringbuf, perfbuf). */
    public static final String ENV = "PACKETLENS_EVENTS", PROPERTY = "packetlens.events";

    public enum Mode {
        AUTO, RING_BUFFER, PERF_BUFFER;

        /** Parses auto / ringbuf / ring / perfbuf / perf (case-insensitive). */
        public static Mode parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "auto", "" -> AUTO;
                case "ringbuf", "ring", "ring_buffer", "ring-buffer" -> RING_BUFFER;
                case "perfbuf", "perf", "perf_buffer", "perf-buffer" -> PERF_BUFFER;
                default -> throw new IllegalArgumentException("unknown event channel '" + s + "' (auto, ringbuf, perfbuf)");
            };
        }
    }

    public EventChannelConfig {
        Objects.requireNonNull(mode);
        Objects.requireNonNull(perf);
        if (ringBytes < 0) throw new IllegalArgumentException("negative ring size");
        if (ringBytes > 0 && Integer.bitCount(ringBytes) != 1) throw new IllegalArgumentException("ring size " + ringBytes + " is not a power of two");
    }

    /** Channel by feature probe, the program's ring size, default perf options. */
    public static EventChannelConfig defaults() {
        return new EventChannelConfig(Mode.AUTO, 0, PerfBufferOptions.defaults());
    }

    /** Defaults, with the mode taken from the system property {@value #PROPERTY} or the environment variable {@value #ENV} if set. */
    public static EventChannelConfig fromEnvironment() {
        String v = System.getProperty(PROPERTY, System.getenv(ENV));
        return v == null ? defaults() : defaults().mode(Mode.parse(v));
    }

    public EventChannelConfig mode(Mode m) {
        return new EventChannelConfig(m, ringBytes, perf);
    }

    public EventChannelConfig ringBytes(int bytes) {
        return new EventChannelConfig(mode, bytes, perf);
    }

    public EventChannelConfig perf(PerfBufferOptions options) {
        return new EventChannelConfig(mode, ringBytes, options);
    }
}
