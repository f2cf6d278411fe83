package io.packetlens.export.ipfix;

/** Numbers of the IANA information elements packetlens exports (https://www.iana.org/assignments/ipfix). */
public final class Ie {
    private Ie() {}

    public static final int OCTET_DELTA_COUNT = 1;
    public static final int PACKET_DELTA_COUNT = 2;
    public static final int PROTOCOL_IDENTIFIER = 4;
    public static final int IP_CLASS_OF_SERVICE = 5;
    public static final int TCP_CONTROL_BITS = 6;
    public static final int SOURCE_TRANSPORT_PORT = 7;
    public static final int SOURCE_IPV4_ADDRESS = 8;
    public static final int INGRESS_INTERFACE = 10;
    public static final int DESTINATION_TRANSPORT_PORT = 11;
    public static final int DESTINATION_IPV4_ADDRESS = 12;
    public static final int EGRESS_INTERFACE = 14;
    public static final int MINIMUM_IP_TOTAL_LENGTH = 25;
    public static final int MAXIMUM_IP_TOTAL_LENGTH = 26;
    public static final int SOURCE_IPV6_ADDRESS = 27;
    public static final int DESTINATION_IPV6_ADDRESS = 28;
    public static final int ICMP_TYPE_CODE_IPV4 = 32;
    public static final int VLAN_ID = 58;
    public static final int FLOW_DIRECTION = 61;
    public static final int FLOW_END_REASON = 136;
    public static final int ICMP_TYPE_CODE_IPV6 = 139;
    public static final int FLOW_START_MILLISECONDS = 152;
    public static final int FLOW_END_MILLISECONDS = 153;
    public static final int BIFLOW_DIRECTION = 239;
    public static final int LAYER2_SEGMENT_ID = 351;
    public static final int LAYER2_OCTET_DELTA_COUNT = 352;
}
