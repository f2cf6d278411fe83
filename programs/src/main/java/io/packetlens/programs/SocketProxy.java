package io.packetlens.programs;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.link.SockMapLink;
import io.packetlens.ebpf.socket.NativeSocket;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A TCP proxy whose data path is in the kernel ({@code sockmap_proxy.bpf.c}): after
 * {@link #splice} of two established connections, bytes arriving on either are sent out of
 * the other by an sk_skb stream verdict program on a SOCKHASH, without a copy to user
 * space. User space only accepts, connects and splices. Splice before the peers send: data
 * queued on a socket before it is spliced stays there for user space to read.
 */
public final class SocketProxy implements AutoCloseable {
    private final BpfObject object;
    private final SockMapLink parser;
    private final SockMapLink verdict;

    private SocketProxy(BpfObject object, SockMapLink parser, SockMapLink verdict) {
        this.object = object;
        this.parser = parser;
        this.verdict = verdict;
    }

    public static ObjectSpec spec() {
        return ObjectSpec.fromResource(SocketProxy.class, "sockmap_proxy.bpf.o");
    }

    /** Loads the programs and attaches the stream parser and verdict to the proxy's socket map. */
    public static SocketProxy load() {
        return load(true);
    }

    /**
     * Loads the programs and attaches the verdict program, and the stream parser if {@code withParser}
     * (kernels since 5.13 run a verdict without a parser, skipping the strparser's work per segment).
     */
    public static SocketProxy load(boolean withParser) {
        BpfObject obj = spec().load();
        SockMapLink parser = null;
        try {
            BpfMap socks = obj.map("proxy_socks");
            if (withParser) parser = SockMapLink.attach(obj.program("proxy_parser"), socks);
            SockMapLink verdict = SockMapLink.attach(obj.program("proxy_verdict"), socks);
            return new SocketProxy(obj, parser, verdict);
        } catch (RuntimeException e) {
            if (parser != null) parser.close();
            obj.close();
            throw e;
        }
    }

    private static byte[] u64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(v).array();
    }

    /**
     * Joins two established TCP connections: from now on each one's incoming bytes leave
     * through the other. Both sockets go into the map before either learns its peer, so no
     * byte is redirected to a socket that is not there yet.
     */
    public void splice(NativeSocket one, NativeSocket other) {
        BpfMap socks = object.map("proxy_socks");
        BpfMap peers = object.map("proxy_peers");
        long c1 = one.cookie(), c2 = other.cookie();
        socks.update(u64(c1), u64(one.fd()));
        socks.update(u64(c2), u64(other.fd()));
        peers.update(u64(c1), u64(c2));
        peers.update(u64(c2), u64(c1));
    }

    /** Separates two spliced connections again (their data then reaches user space). */
    public void unsplice(NativeSocket one, NativeSocket other) {
        BpfMap socks = object.map("proxy_socks");
        BpfMap peers = object.map("proxy_peers");
        for (NativeSocket s : new NativeSocket[] {one, other}) {
            peers.delete(u64(s.cookie()));
            socks.delete(u64(s.cookie()));
        }
    }

    private long stat(int slot) {
        byte[] v = object.map("proxy_stats").lookup(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(slot).array())
                .orElseThrow();
        return PerCpu.sumLongs(MemorySegment.ofArray(v), 0, PerCpu.stride(8));
    }

    /** Bytes the kernel has moved from one spliced socket to its peer. */
    public long bytesRedirected() {
        return stat(0);
    }

    /** Segments that arrived on a spliced socket whose peer was missing, and were left to user space. */
    public long segmentsLeftToUserSpace() {
        return stat(1);
    }

    /** The attached parser and verdict programs, e.g. to check what the kernel holds. */
    public SockMapLink verdictLink() {
        return verdict;
    }

    public BpfMap socketMap() {
        return object.map("proxy_socks");
    }

    /** Detaches the programs and frees the maps (spliced connections then carry data to user space again). */
    @Override
    public void close() {
        try {
            verdict.close();
            if (parser != null) parser.close();
        } finally {
            object.close();
        }
    }
}
