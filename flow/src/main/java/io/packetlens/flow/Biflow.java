package io.packetlens.flow;

/**
 * The other half of a bidirectional flow record (RFC 5103): a record whose key is the initiator's direction (source =
 * the side that opened the connection) carries the responder's packets and octets here, and what the connection
 * tracker measured of the connection: TCP retransmissions each way and the handshake round trip.
 *
 * @param reversePackets      packets from the responder (IPFIX reversePacketDeltaCount)
 * @param reverseOctets       their IP bytes (reverseOctetDeltaCount)
 * @param reverseTcpFlags     the OR of their TCP segments' flags (reverseTcpControlBits)
 * @param retransmits         TCP segments the initiator sent again (from sequence numbers)
 * @param reverseRetransmits  the same for the responder
 * @param handshakeRttNanos   SYN to SYN-ACK as seen where the tracker sits, or -1 when not seen (not TCP, picked up
 *                            mid-stream)
 * @param state               the connection's last state (nf_conntrack's names: ESTABLISHED, TIME_WAIT, ...)
 */
public record Biflow(long reversePackets, long reverseOctets, int reverseTcpFlags, long retransmits, long reverseRetransmits, long handshakeRttNanos,
                     String state) {}
