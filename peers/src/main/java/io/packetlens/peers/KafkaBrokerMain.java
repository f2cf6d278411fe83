package io.packetlens.peers;

import kafka.tools.StorageTool;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The main class of the broker process that {@link KafkaBroker} starts: formats the KRaft storage on the first start
 * (as {@code kafka-storage.sh format} does), then runs {@code kafka.Kafka}. It halts when its standard input closes,
 * so a broker never outlives the JVM that started it, however that JVM ends.
 *
 * <p>Arguments: the server.properties file, the cluster id, the log directory.
 */
public final class KafkaBrokerMain {
    private KafkaBrokerMain() {}

    public static void main(String[] args) throws Exception {
        Path config = Path.of(args[0]);
        Thread.ofPlatform().daemon(true).name("parent-watch").start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent writes nothing; end of input means it is gone
                }
            } catch (java.io.IOException ignored) {
                // the same: the pipe is gone
            }
            Runtime.getRuntime().halt(3);
        });
        if (!Files.exists(Path.of(args[2], "meta.properties"))) {
            int rc = StorageTool.execute(new String[] {"format", "-t", args[1], "-c", config.toString()}, System.out);
            if (rc != 0) Runtime.getRuntime().halt(rc);
        }
        kafka.Kafka.main(new String[] {config.toString()});
    }
}
