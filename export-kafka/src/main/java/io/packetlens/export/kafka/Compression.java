package io.packetlens.export.kafka;

/**
 * The {@code compression} setting of a Kafka exporter. Only codecs that run in pure Java are offered: Kafka's snappy,
 * lz4 and zstd codecs are JNI libraries that unpack and load bundled native code (lz4-java does so whenever it can,
 * even though it has a Java fallback), and packetlens loads no native library.
 */
public enum Compression {
    NONE("none", null),
    GZIP("gzip", null),
    SNAPPY("snappy", "snappy-java"),
    LZ4("lz4", "lz4-java"),
    ZSTD("zstd", "zstd-jni");

    private final String kafkaName;
    private final String nativeLibrary;

    Compression(String kafkaName, String nativeLibrary) {
        this.kafkaName = kafkaName;
        this.nativeLibrary = nativeLibrary;
    }

    /** The producer's {@code compression.type} value. */
    public String kafkaName() {
        return kafkaName;
    }

    /** Whether packetlens can use it (no native library needed). */
    public boolean supported() {
        return nativeLibrary == null;
    }

    /** The JNI library Kafka would need for it, or null. */
    public String nativeLibrary() {
        return nativeLibrary;
    }
}
