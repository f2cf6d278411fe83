package io.packetlens.export.ipfix;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** A minimal reading of IPFIX messages for tests: header fields and the sets inside (the decoding proper is nfdump's and tshark's). */
record Messages(int version, int length, long exportTime, long sequence, long domain, List<Set> sets) {
    record Set(int id, byte[] body) {
        String hex() {
            return HexFormat.of().formatHex(body);
        }
    }

    static Messages parse(byte[] b) {
        ByteBuffer m = ByteBuffer.wrap(b);
        int version = m.getShort() & 0xffff, length = m.getShort() & 0xffff;
        long time = m.getInt() & 0xffffffffL, seq = m.getInt() & 0xffffffffL, domain = m.getInt() & 0xffffffffL;
        List<Set> sets = new ArrayList<>();
        while (m.remaining() >= 4) {
            int id = m.getShort() & 0xffff, len = m.getShort() & 0xffff;
            byte[] body = new byte[len - 4];
            m.get(body);
            sets.add(new Set(id, body));
        }
        if (m.hasRemaining()) throw new IllegalStateException("trailing bytes after the last set");
        return new Messages(version, length, time, seq, domain, sets);
    }

    int dataRecords(int recordLength) {
        return sets.stream().filter(s -> s.id() >= 256).mapToInt(s -> s.body().length / recordLength).sum();
    }

    static String hex(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return HexFormat.of().formatHex(a);
    }

}
