package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.ObjectSpec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Shared pieces of the AF_XDP tests: the redirect test program and XSKMAP entries. */
final class XskTestSupport {
    private XskTestSupport() {}

    /** xsk_test.bpf.c: IPv4 UDP to the socket of the arrival queue, everything else passes. */
    static ObjectSpec redirectProgram() {
        return ObjectSpec.fromResource(XskTestSupport.class, "/bpf/xsk_test.bpf.o");
    }

    static byte[] u32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** Puts the socket into the XSKMAP under its queue id. */
    static void register(BpfMap xsks, XskSocket s) {
        xsks.update(u32(s.queue()), u32(s.fd()));
    }

    /** A payload whose first four bytes are {@code seq} and whose length varies with it. */
    static byte[] payload(int seq, int tag) {
        int len = 18 + (seq * 37) % 1200;
        byte[] p = new byte[len];
        ByteBuffer.wrap(p).putInt(seq).putInt(tag);
        for (int i = 8; i < len; i++) p[i] = (byte) (seq * 31 + i);
        return p;
    }
}
