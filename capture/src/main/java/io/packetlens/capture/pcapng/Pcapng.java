package io.packetlens.capture.pcapng;

/**
 * Block types, option codes and constants of the pcapng format (IETF draft
 * "PCAP Now Generic (pcapng) Capture File Format"), declared once.
 */
final class Pcapng {
    private Pcapng() {}

    static final int SHB = 0x0A0D0D0A, IDB = 0x00000001, ISB = 0x00000005, EPB = 0x00000006;
    static final int BYTE_ORDER_MAGIC = 0x1A2B3C4D;

    static final short OPT_ENDOFOPT = 0;
    static final short SHB_OS = 3, SHB_USERAPPL = 4;
    static final short IF_NAME = 2, IF_DESCRIPTION = 3, IF_TSRESOL = 9;
    static final short ISB_STARTTIME = 2, ISB_ENDTIME = 3, ISB_IFRECV = 4, ISB_IFDROP = 5, ISB_FILTERACCEPT = 6,
            ISB_OSDROP = 7, ISB_USRDELIV = 8;

    /** LINKTYPE_ETHERNET. */
    static final int LINKTYPE_ETHERNET = 1;
    /** if_tsresol = 9: timestamps count nanoseconds. */
    static final byte TSRESOL_NANOS = 9;

    /** EPB fixed part: type, total length, interface id, timestamp high/low, captured and original length. */
    static final int EPB_HEADER = 28;

    static int pad4(int n) {
        return (n + 3) & ~3;
    }
}
