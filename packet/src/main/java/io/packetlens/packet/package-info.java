/**
 * Packets in plain Java, with no kernel involved: {@link io.packetlens.packet.Frame} builds frames layer by layer with
 * correct lengths and checksums, {@link io.packetlens.packet.Checksums} computes Internet checksums (full and
 * incremental), {@link io.packetlens.packet.PacketParser} is the frame parser of the kernel programs
 * ({@code packetlens_parse.h}) written again in Java, and {@link io.packetlens.packet.FlowFrames} stamps many flows'
 * frames out of one template for traffic generation.
 */
package io.packetlens.packet;
