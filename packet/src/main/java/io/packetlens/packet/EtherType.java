package io.packetlens.packet;

/** Ethertypes the builders and the parser know (IEEE 802 numbers, as they appear in the frame). */
public final class EtherType {
    public static final int IPV4 = 0x0800;
    public static final int ARP = 0x0806;
    /** 802.1Q VLAN tag. */
    public static final int VLAN = 0x8100;
    public static final int IPV6 = 0x86dd;
    /** 802.1ad service tag, the outer tag of QinQ. */
    public static final int QINQ = 0x88a8;
    public static final int LLDP = 0x88cc;
    /** Transparent Ethernet bridging: an Ethernet frame inside GRE. */
    public static final int TEB = 0x6558;

    private EtherType() {}
}
