package io.packetlens.capture.pcapng;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test helper: an independent little pcapng parser (block framing, EPBs, IDB and ISB options). */
public final class PcapngReader {
    public record Block(int type, ByteBuffer body) {}

    public record Packet(int iface, long tsNanos, byte[] data, int origLen) {}

    public final List<Block> blocks = new ArrayList<>();

    public PcapngReader(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        while (b.remaining() >= 12) {
            int start = b.position();
            int type = b.getInt();
            int len = b.getInt();
            if (len < 12 || len % 4 != 0 || start + len > b.limit()) throw new IOException("bad block length " + len + " at " + start);
            if (b.getInt(start + len - 4) != len) throw new IOException("trailing length mismatch at " + start);
            blocks.add(new Block(type, b.slice(start + 8, len - 12).order(ByteOrder.LITTLE_ENDIAN)));
            b.position(start + len);
        }
        if (b.hasRemaining()) throw new IOException(b.remaining() + " trailing bytes");
    }

    public List<Packet> packets() {
        List<Packet> out = new ArrayList<>();
        for (Block bl : blocks) {
            if (bl.type != Pcapng.EPB) continue;
            ByteBuffer x = bl.body;
            int iface = x.getInt(0);
            long ts = ((long) x.getInt(4) << 32) | Integer.toUnsignedLong(x.getInt(8));
            int cap = x.getInt(12);
            int orig = x.getInt(16);
            byte[] d = new byte[cap];
            x.get(20, d);
            out.add(new Packet(iface, ts, d, orig));
        }
        return out;
    }

    /** Options of the first block of {@code type}, after {@code fixed} bytes of fixed fields: code to raw value. */
    public Map<Integer, byte[]> options(int type, int fixed) {
        for (Block bl : blocks) {
            if (bl.type != type) continue;
            Map<Integer, byte[]> m = new HashMap<>();
            ByteBuffer x = bl.body;
            int p = fixed;
            while (p + 4 <= x.limit()) {
                int code = Short.toUnsignedInt(x.getShort(p));
                int len = Short.toUnsignedInt(x.getShort(p + 2));
                if (code == 0) break;
                byte[] v = new byte[len];
                x.get(p + 4, v);
                m.put(code, v);
                p += 4 + ((len + 3) & ~3);
            }
            return m;
        }
        return null;
    }

    public static long u64(byte[] v) {
        return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** Timestamp options: high 32 bits first. */
    public static long ts(byte[] v) {
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        return ((long) b.getInt(0) << 32) | Integer.toUnsignedLong(b.getInt(4));
    }
}
