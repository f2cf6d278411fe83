package io.packetlens.ebpf.poll;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/** A map key's bytes as a value (equality by content), for snapshots and deltas. */
public record MapKey(byte[] bytes) {
    public MapKey {
        bytes = bytes.clone();
    }

    /** A 4-byte little-endian key, as for array maps. */
    public static MapKey ofInt(int k) {
        return new MapKey(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(k).array());
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** The first four bytes read as a little-endian int (array indices, u32 keys). */
    public int asInt() {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MapKey k && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes);
    }
}
