package io.packetlens.ebpf.info;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/** NUL-terminated strings in info structures and name buffers. */
final class Names {
    private Names() {}

    /** The string at {@code offset}, at most {@code max} bytes, up to its first NUL. */
    static String cString(MemorySegment s, long offset, int max) {
        int len = 0;
        long limit = Math.min(max, s.byteSize() - offset);
        while (len < limit && s.get(JAVA_BYTE, offset + len) != 0) len++;
        return new String(s.asSlice(offset, len).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }
}
