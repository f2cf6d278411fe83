package io.packetlens.programs.filter;

/** Which end of a packet an address or port term is about ({@code PL_DIR_*} in packetlens_filter.h). */
public enum Direction {
    /** {@code src host ...}: the source. */
    SRC(1),
    /** {@code dst port ...}: the destination. */
    DST(2),
    /** No qualifier: either end. */
    ANY(4);

    final int bit;

    Direction(int bit) {
        this.bit = bit;
    }
}
