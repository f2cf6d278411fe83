package io.packetlens.ops.dump;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A byte buffer in front of an OutputStream with the few writes a map dump needs (literals, decimal numbers
 * written digit by digit, escaped strings, hex): no per-value objects, no character encoding step, so a large
 * dump costs little even before the JIT has compiled it.
 */
final class Out {
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] MIN_LONG = Long.toString(Long.MIN_VALUE).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final OutputStream os;
    private final byte[] buf = new byte[1 << 16];
    private int pos;

    Out(OutputStream os) {
        this.os = os;
    }

    private void room(int n) throws IOException {
        if (pos + n > buf.length) flush();
    }

    void flush() throws IOException {
        if (pos > 0) os.write(buf, 0, pos);
        pos = 0;
    }

    void lit(byte[] b) throws IOException {
        if (b.length > buf.length) {
            flush();
            os.write(b);
            return;
        }
        room(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    void ascii(String s) throws IOException {
        lit(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    void signed(long v) throws IOException {
        if (v == Long.MIN_VALUE) {
            lit(MIN_LONG);
            return;
        }
        room(20);
        if (v < 0) {
            buf[pos++] = '-';
            v = -v;
        }
        digits(v);
    }

    void unsigned(long v) throws IOException {
        room(20);
        if (v >= 0) {
            digits(v);
            return;
        }
        // above Long.MAX_VALUE: the last digit separately, the rest fits a signed long
        long q = (v >>> 1) / 5, r = v - q * 10;
        digits(q);
        buf[pos++] = (byte) ('0' + r);
    }

    private void digits(long v) {
        if (v < 10) {
            buf[pos++] = (byte) ('0' + v);
            return;
        }
        int start = pos;
        while (v > 0) {
            buf[pos++] = (byte) ('0' + v % 10);
            v /= 10;
        }
        for (int i = start, j = pos - 1; i < j; i++, j--) {
            byte t = buf[i];
            buf[i] = buf[j];
            buf[j] = t;
        }
    }

    /** Bytes as two hex digits each, separated by spaces. */
    void hex(byte[] d, int off, int n) throws IOException {
        room(Math.max(0, n * 3));
        for (int i = 0; i < n; i++) {
            if (i > 0) buf[pos++] = ' ';
            int b = d[off + i] & 0xff;
            buf[pos++] = HEX[b >>> 4];
            buf[pos++] = HEX[b & 15];
        }
    }

    void hexLong(long v) throws IOException {
        room(18);
        buf[pos++] = '0';
        buf[pos++] = 'x';
        String h = Long.toHexString(v);
        for (int i = 0; i < h.length(); i++) buf[pos++] = (byte) h.charAt(i);
    }

    /** A quoted string of the bytes up to the first NUL (at most n), escaped for JSON (and readable as text). */
    void cString(byte[] d, int off, int n) throws IOException {
        room(2 + n * 6);
        buf[pos++] = '"';
        for (int i = 0; i < n; i++) {
            int c = d[off + i] & 0xff;
            if (c == 0) break;
            if (c == '"' || c == '\\') {
                buf[pos++] = '\\';
                buf[pos++] = (byte) c;
            } else if (c < 0x20 || c >= 0x7f) {
                buf[pos++] = '\\';
                buf[pos++] = 'u';
                buf[pos++] = '0';
                buf[pos++] = '0';
                buf[pos++] = HEX[c >>> 4];
                buf[pos++] = HEX[c & 15];
            } else {
                buf[pos++] = (byte) c;
            }
        }
        buf[pos++] = '"';
    }
}
