package io.packetlens.capture;

/**
 * Counts of a capture so far.
 *
 * @param written  frames written to the pcapng file
 * @param seen     frames the XDP program saw on the interface
 * @param matched  frames that matched the filter
 * @param dropped  matching frames lost before user space took them (AF_XDP ring full or no free frame; mirror ring buffer full)
 * @param missed   steal mode: matching frames on a queue without a socket (they went to the host stack instead)
 */
public record CaptureStats(long written, long seen, long matched, long dropped, long missed) {
}
