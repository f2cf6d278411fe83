package io.packetlens.capture.pcapng;

/**
 * The counters an Interface Statistics Block carries at the end of a capture.
 *
 * @param startNanos     capture start, ns since the epoch (isb_starttime)
 * @param endNanos       capture end (isb_endtime and the block's timestamp)
 * @param received       frames seen on the interface by the capture program (isb_ifrecv)
 * @param dropped        frames lost before user space could take them: full rings, no free frame (isb_ifdrop)
 * @param filterAccepted frames that matched the filter (isb_filteraccept)
 * @param osDropped      frames lost by the operating system elsewhere (isb_osdrop)
 * @param delivered      frames written to the file (isb_usrdeliv)
 */
public record InterfaceStatistics(long startNanos, long endNanos, long received, long dropped, long filterAccepted,
                                  long osDropped, long delivered) {
}
