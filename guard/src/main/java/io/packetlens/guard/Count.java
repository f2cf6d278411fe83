package io.packetlens.guard;

/** Packets and bytes (frame bytes), as {@code struct pl_guard_count} holds them per CPU, summed. */
public record Count(long packets, long bytes) {
    public static final Count ZERO = new Count(0, 0);

    public Count plus(Count o) {
        return new Count(packets + o.packets, bytes + o.bytes);
    }
}
