package io.packetlens.ebpf;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Converts between a Java value and the bytes of a map key or value, laid out as the C
 * compiler lays out the matching struct. {@link #ofRecord} derives a codec for a record
 * whose components are primitives, {@code byte[]} (with {@link Size}) or nested records.
 */
public interface Codec<T> {
    /** Size in bytes. */
    int size();

    /** Natural alignment in bytes (the largest member's). */
    default int alignment() {
        return Math.min(8, Integer.highestOneBit(Math.max(1, size())));
    }

    void write(T value, MemorySegment dst, long offset);

    T read(MemorySegment src, long offset);

    /** Length of a {@code byte[]} record component. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    @interface Size {
        int value();
    }

    /** A record component stored in network byte order (ports, addresses as integers). */
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.RECORD_COMPONENT)
    @interface BigEndian {}

    Codec<Byte> U8 = primitive(ValueLayout.JAVA_BYTE);
    Codec<Short> U16 = primitive(ValueLayout.JAVA_SHORT_UNALIGNED);
    Codec<Integer> U32 = primitive(ValueLayout.JAVA_INT_UNALIGNED);
    Codec<Long> U64 = primitive(ValueLayout.JAVA_LONG_UNALIGNED);

    @SuppressWarnings("unchecked")
    private static <T> Codec<T> primitive(ValueLayout layout) {
        return (Codec<T>) Codecs.primitive(layout.withOrder(ByteOrder.nativeOrder()));
    }

    /** Raw bytes of a fixed length. */
    static Codec<byte[]> bytes(int length) {
        return new Codec<>() {
            public int size() { return length; }
            public int alignment() { return 1; }
            public void write(byte[] v, MemorySegment dst, long off) {
                if (v.length != length) throw new BpfException("expected " + length + " bytes, got " + v.length);
                MemorySegment.copy(v, 0, dst, JAVA_BYTE, off, length);
            }
            public byte[] read(MemorySegment src, long off) {
                return src.asSlice(off, length).toArray(JAVA_BYTE);
            }
        };
    }

    /** A codec for a record type, laid out with C struct alignment rules. */
    static <R extends Record> Codec<R> ofRecord(Class<R> type) {
        return Codecs.record(type);
    }
}
