/**
 * Sockets made through FFM ({@link io.packetlens.ebpf.socket.NativeSocket}), for BPF hooks
 * that need a socket's fd: socket filters and sockmaps; and {@link io.packetlens.ebpf.socket.PacketRing}, an
 * AF_PACKET socket with a memory-mapped TPACKET_V3 receive ring, for seeing an interface's frames where BPF cannot
 * be loaded (the flow monitor's and capture's fallback).
 */
package io.packetlens.ebpf.socket;
