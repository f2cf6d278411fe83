package io.packetlens.programs.filter;

/** {@code [src|dst] port N}: a TCP, UDP or SCTP port. */
public record PortTerm(Direction direction, int port) {
    public PortTerm {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port " + port);
    }

    @Override
    public String toString() {
        return (direction == Direction.ANY ? "" : direction.name().toLowerCase() + " ") + "port " + port;
    }
}
