package io.packetlens.peers;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * A real single-node Kafka broker in KRaft mode (combined broker and controller) for tests and benchmarks, run as a
 * child JVM from the Kafka jars on this JVM's class path ({@link KafkaBrokerMain}). Its storage lives in a temp dir of
 * its own ({@code /tmp/pl-kafka-broker-*} unless given another parent) that survives {@link #kill()} (SIGKILL) and
 * {@link #restart()} on the same ports, and is deleted with the process on {@link #close()}. The child halts by itself
 * when this JVM goes away.
 */
public final class KafkaBroker implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final String DIR_PREFIX = "pl-kafka-broker-";
    private static final Path TMP = Path.of("/tmp");
    /**
     * The admin client and consumer here log through SLF4J into java.util.logging: INFO would print every setting of
     * every client. export-kafka's KafkaLogging does the same for the exporter; this module cannot use it (export-kafka's
     * tests depend on this one). Held so that the level stays: java.util.logging keeps loggers only weakly.
     */
    private static final Logger KAFKA_LOG = Logger.getLogger("org.apache.kafka");

    static {
        if (LogManager.getLogManager().getProperty("org.apache.kafka.level") == null && KAFKA_LOG.getLevel() == null) {
            KAFKA_LOG.setLevel(Level.WARNING);
        }
    }

    private final int port;
    private final int controllerPort;
    private final Path dir;
    private final Path logDir;
    private final Path config;
    private final Path log;
    private final String clusterId = Uuid.randomUuid().toString();
    private Process process;
    private OutputStream lifeline;
    private Admin admin;
    private Duration lastStart;
    private final Thread cleanup = new Thread(this::destroy, "kafka-broker-cleanup");

    private KafkaBroker(int port, int controllerPort, Path parent) throws IOException {
        this.port = port;
        this.controllerPort = controllerPort;
        removeStale(parent);
        this.dir = Files.createTempDirectory(parent, DIR_PREFIX);
        Files.writeString(dir.resolve("owner.pid"), Long.toString(ProcessHandle.current().pid()));
        this.logDir = dir.resolve("data");
        this.config = dir.resolve("server.properties");
        this.log = dir.resolve("broker.log");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /** Starts a broker listening on 127.0.0.1:{@code port} (controller on {@code controllerPort}) and waits until it serves. */
    public static KafkaBroker start(int port, int controllerPort) throws IOException {
        return start(port, controllerPort, TMP);
    }

    /** As {@link #start(int, int)}, with the broker's storage dir under {@code parent} instead of /tmp. */
    public static KafkaBroker start(int port, int controllerPort, Path parent) throws IOException {
        KafkaBroker b = new KafkaBroker(port, controllerPort, parent);
        try {
            b.writeConfig();
            b.launch();
            return b;
        } catch (IOException | RuntimeException e) {
            b.close();
            throw e;
        }
    }

    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** How long the last start took until the broker answered. */
    public Duration lastStart() {
        return lastStart;
    }

    /** The broker's output (its log), kept until {@link #close()}. */
    public Path logFile() {
        return log;
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    /** The broker JVM's process id (for its CPU time), or -1 before it started. */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    private void writeConfig() throws IOException {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", logDir.toString());
        p.setProperty("num.partitions", "1");
        // topics are created by the tests, so an exporter writing to a wrong name fails instead of creating it
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // after a SIGKILL the controller refuses the restarted broker until the old registration's session expires
        // (9 s by default): keep that short
        p.setProperty("broker.session.timeout.ms", "2000");
        p.setProperty("broker.heartbeat.interval.ms", "500");
        try (var out = Files.newOutputStream(config)) {
            p.store(out, "packetlens test broker");
        }
    }

    private void launch() throws IOException {
        requireFree(port);
        requireFree(controllerPort);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true", "-cp", classPath(), KafkaBrokerMain.class.getName(), config.toString(),
                clusterId, logDir.toString());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        long t0 = System.nanoTime();
        process = pb.start();
        lifeline = process.getOutputStream(); // kept open: the broker halts when it closes
        awaitServing(t0);
        lastStart = Duration.ofNanos(System.nanoTime() - t0);
    }

    /**
     * This JVM's class path, which must hold the broker's jars (surefire puts a module's test dependencies there, and
     * packetlens-peers brings them).
     */
    private static String classPath() {
        String cp = System.getProperty("java.class.path");
        try {
            Class.forName("kafka.Kafka", false, ClassLoader.getSystemClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("the Kafka broker jars (org.apache.kafka:kafka_2.13) are not on the class path: " + cp);
        }
        return cp;
    }

    private static void requireFree(int port) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            throw new IOException("port 127.0.0.1:" + port + " is taken; the test broker cannot listen there", e);
        }
    }

    private void awaitServing(long t0) throws IOException {
        long deadline = t0 + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException("the broker exited with " + process.exitValue() + ":\n" + logTail());
            if (accepts() && describes()) return;
            sleep(100);
        }
        throw new IOException("the broker did not serve within " + START_TIMEOUT.toSeconds() + " s:\n" + logTail());
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean describes() {
        try {
            return !admin().describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    /** An admin client of this broker (reconnects across restarts). */
    public synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000,
                    AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200));
        }
        return admin;
    }

    /** Creates a topic and waits until every partition has a leader. */
    public void createTopic(String name, int partitions) throws Exception {
        admin().createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                TopicDescription d = admin().describeTopics(List.of(name)).allTopicNames().get(5, TimeUnit.SECONDS).get(name);
                if (d.partitions().size() == partitions && d.partitions().stream().allMatch(p -> p.leader() != null)) return;
            } catch (Exception e) {
                // not propagated yet
            }
            sleep(100);
        }
        throw new IOException("topic " + name + " has no leaders after 30 s");
    }

    /**
     * Reads the topic from the beginning until at least {@code atLeast} records came (or {@code timeout} passed), then
     * for a further quiet {@code settle} so that records beyond the count show up too.
     */
    public List<ConsumerRecord<String, String>> read(String topic, int atLeast, Duration timeout, Duration settle) {
        Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                consumer.poll(Duration.ofMillis(100)).forEach(out::add);
                if (out.size() >= atLeast && quietUntil == Long.MAX_VALUE) quietUntil = System.nanoTime() + settle.toNanos();
            }
        }
        return out;
    }

    /** The topic's partition count as the broker has it. */
    public int partitions(String topic) throws Exception {
        return admin().describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions().size();
    }

    /** SIGKILL: the broker dies at once, with no shutdown of its own; its storage stays for {@link #restart()}. */
    public void kill() throws InterruptedException {
        if (process == null) return;
        process.destroyForcibly(); // SIGKILL on Linux
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("the broker survived SIGKILL");
        try {
            lifeline.close();
        } catch (IOException ignored) {
            // the pipe's reader is gone already
        }
    }

    /** SIGSTOP: the broker hangs with its connections open, as a stuck or partitioned broker does. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze()}. */
    public void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("kill -" + name + " failed");
    }

    /** Starts the broker again on the same ports and storage (after {@link #kill()}); waits until it serves. */
    public void restart() throws IOException, InterruptedException {
        if (alive()) kill();
        launch();
    }

    /** The last lines of the broker's output, for failure messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no broker log: " + e.getMessage() + ")";
        }
    }

    private void destroy() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        deleteTree(dir);
    }

    @Override
    public void close() {
        if (admin != null) admin.close(Duration.ofSeconds(2));
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or ran
        }
    }

    /** Deletes broker dirs under {@code parent} left by JVMs that died before cleaning up (their owner pid is gone). */
    private static void removeStale(Path parent) throws IOException {
        try (Stream<Path> dirs = Files.list(parent)) {
            for (Path d : dirs.filter(p -> p.getFileName().toString().startsWith(DIR_PREFIX)).toList()) {
                Path pid = d.resolve("owner.pid");
                try {
                    long owner = Long.parseLong(Files.readString(pid).trim());
                    if (ProcessHandle.of(owner).isEmpty()) deleteTree(d);
                } catch (IOException | NumberFormatException e) {
                    // being created right now, or not ours to judge
                }
            }
        }
    }

    private static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
