/**
 * Sockets made through FFM ({@link io.packetlens.ebpf.socket.NativeSocket}), for BPF hooks
 * that need a socket's fd: socket filters and sockmaps.
 */
package io.packetlens.ebpf.socket;
