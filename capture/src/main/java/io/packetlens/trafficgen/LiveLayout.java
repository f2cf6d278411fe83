package io.packetlens.trafficgen;

/**
 * Byte layout of {@code struct pl_gen_config} and {@code struct pl_gen_part} in {@code trafficgen_live.bpf.c}, the
 * live-frame generator's one configuration value (LiveLayoutTest compares these with the object's BTF).
 */
final class LiveLayout {
    private LiveLayout() {}

    static final int FRAME = 128, PARTS = 4, PERIOD = 64;

    static final int CFG_IFINDEX = 0, CFG_SIZE = 4, CFG_PERIOD = 8, CFG_PART_AT = 16, CFG_RANK_AT = 80, CFG_PARTS = 144;
    static final int CFG_BYTES = 784;

    static final int PART_FRAME = 0, PART_FIRST_SRC = 128, PART_SOURCES = 132, PART_PORTS = 136, PART_IP_SUM = 140,
            PART_L4_SUM = 144, PART_L4_CSUM_OFF = 148, PART_WEIGHT = 152;
    static final int PART_BYTES = 160;
}
