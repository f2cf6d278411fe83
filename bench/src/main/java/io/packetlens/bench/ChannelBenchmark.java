package io.packetlens.bench;

import io.packetlens.ebpf.BpfMap;
import io.packetlens.ebpf.BpfObject;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.EpollReader;
import io.packetlens.ebpf.ObjectSpec;
import io.packetlens.ebpf.PerCpu;
import io.packetlens.ebpf.TestRun;
import io.packetlens.ebpf.cpu.Cpus;
import io.packetlens.ebpf.events.ChannelKind;
import io.packetlens.ebpf.events.EventChannelConfig;
import io.packetlens.ebpf.events.EventChannels;
import io.packetlens.ebpf.perf.PerfBufferOptions;
import io.packetlens.ebpf.perf.PerfBufferReader;
import io.packetlens.ebpf.perf.RawSampleHandler;
import io.packetlens.ebpf.ringbuf.RecordHandler;
import io.packetlens.ebpf.ringbuf.RingBufReader;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * Kernel-to-user channel benchmark: the same BPF producer ({@code channel_bench.bpf.c}, driven by
 * BPF_PROG_TEST_RUN with a repeat count) feeds (a) the Java ring buffer reader, (b) libbpf's
 * ring_buffer, (c) the Java perf buffer reader (samples as offsets into the ring, no object per
 * sample), (d) libbpf's perf_buffer (the C peer {@code channel_peer}, run as a child process on
 * the same pinned program and map), for records of 64 B, 256 B and 1 KiB. Three figures each:
 * consumer speed (drain a pre-filled ring), producer cost (records/s the program manages on one
 * CPU while the reader runs as in use) and live (producers on both CPUs while the reader
 * consumes; records/s delivered end to end).
 * Run by {@code scripts/bench-channels.sh}; see docs/BENCHMARKS.md.
 */
public final class ChannelBenchmark {
    private static final String MARK_BEGIN = "<!-- channels:begin -->", MARK_END = "<!-- channels:end -->";
    private static final String[] FIGURES = {"consumer", "producer", "live"};

    private final Path object;
    private final Path pinDir;
    private final Path peer;
    private final int[] sizes;
    private final int ringBytes;
    private final int perfPages;
    private final int cycles;
    private final int warmup;
    private final double seconds;
    private final double liveSeconds;
    private final int rounds;
    private final int chunk;
    private final List<Row> rows = new ArrayList<>();

    /** One run: a figure for a record size, channel and reader. */
    record Row(int size, String figure, ChannelKind kind, String reader, double rate, long records, long drops, String note) {}

    private ChannelBenchmark(Map<String, String> o) {
        object = Path.of(require(o, "object"));
        pinDir = Path.of(require(o, "pin-dir"));
        peer = Path.of(require(o, "peer"));
        sizes = java.util.Arrays.stream(o.getOrDefault("sizes", "64,256,1024").split(",")).mapToInt(Integer::parseInt).toArray();
        ringBytes = Integer.parseInt(o.getOrDefault("ring-mib", "64")) << 20;
        perfPages = Integer.parseInt(o.getOrDefault("perf-pages", "16384"));
        cycles = Integer.parseInt(o.getOrDefault("cycles", "7"));
        warmup = Integer.parseInt(o.getOrDefault("warmup", "6"));
        seconds = Double.parseDouble(o.getOrDefault("seconds", "1"));
        liveSeconds = Double.parseDouble(o.getOrDefault("live-seconds", "1"));
        rounds = Integer.parseInt(o.getOrDefault("rounds", "3"));
        chunk = Integer.parseInt(o.getOrDefault("chunk", "100000"));
    }

    private static String require(Map<String, String> o, String k) {
        String v = o.get(k);
        if (v == null) throw new IllegalArgumentException("missing --" + k);
        return v;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected " + args[i]);
            o.put(args[i].substring(2), args[i + 1]);
        }
        if (Cpus.online().length < 2) throw new IllegalStateException("the live figure needs two online CPUs");
        ChannelBenchmark b = new ChannelBenchmark(o);
        b.run();
        String table = b.markdown();
        System.out.println();
        System.out.println(table);
        if (o.containsKey("docs")) b.updateDocs(Path.of(o.get("docs")), table);
    }

    private void run() throws Exception {
        for (ChannelKind kind : ChannelKind.values()) {
            ObjectSpec spec = ObjectSpec.read(object);
            EventChannelConfig.Mode mode = kind == ChannelKind.RING_BUFFER ? EventChannelConfig.Mode.RING_BUFFER : EventChannelConfig.Mode.PERF_BUFFER;
            EventChannels.configure(spec, EventChannelConfig.defaults().mode(mode).ringBytes(ringBytes));
            try (BpfObject obj = spec.load()) {
                Path dir = pinDir.resolve(kind == ChannelKind.RING_BUFFER ? "ring" : "perf");
                Files.createDirectories(dir);
                Path mapPin = dir.resolve("events");
                obj.map("events").pin(mapPin);
                try {
                    for (int size : sizes) {
                        String progName = size == 1024 ? "produce_1k" : "produce_" + size;
                        BpfProgram prog = obj.program(progName);
                        Path progPin = dir.resolve(progName);
                        prog.pin(progPin);
                        try {
                            measure(kind, size, obj, prog, mapPin, progPin);
                        } finally {
                            Files.deleteIfExists(progPin);
                        }
                    }
                } finally {
                    Files.deleteIfExists(mapPin);
                    Files.deleteIfExists(dir);
                }
            }
        }
    }

    /** Each figure: Java and libbpf runs alternating, {@code rounds} times, so that load from elsewhere hits both alike. */
    private void measure(ChannelKind kind, int size, BpfObject obj, BpfProgram prog, Path mapPin, Path progPin) throws Exception {
        BpfMap events = obj.map("events");
        BpfMap lost = obj.map("events_lost");
        long fill = kind == ChannelKind.RING_BUFFER
                ? (ringBytes - 1L) / align8(size + 8L)
                : perfOptions().ringBytes() / (8 + align8(size + 4L));
        fill = fill * 9 / 10; // stay clear of the edge: no drops while filling
        String common = " --chunk " + chunk + " --pages " + perfPages;

        for (int r = 0; r < rounds; r++) {
            long d0 = drops(lost);
            double rate = javaConsumer(kind, events, prog, fill);
            add(size, "consumer", kind, "java", rate, fill * cycles, drops(lost) - d0, "");
            d0 = drops(lost);
            Map<String, String> c = peer(kind, "consumer", mapPin, progPin, "--count " + fill + " --warmup " + warmup + " --cycles " + cycles + common);
            add(size, "consumer", kind, "libbpf", Double.parseDouble(c.get("rate")), Long.parseLong(c.get("records")), drops(lost) - d0, "");
        }
        for (int r = 0; r < rounds; r++) {
            long d0 = drops(lost);
            Produced jp = javaProducer(kind, events, prog);
            long jd = drops(lost) - d0;
            add(size, "producer", kind, "java", jp.rate(), jp.timed(), jd, check(jp.total(), jp.delivered(), jd));
            d0 = drops(lost);
            Map<String, String> c = peer(kind, "producer", mapPin, progPin, "--seconds " + seconds + common);
            long produced = Long.parseLong(c.get("produced")), delivered = Long.parseLong(c.get("delivered"));
            long drops = drops(lost) - d0;
            add(size, "producer", kind, "libbpf", Double.parseDouble(c.get("rate")), Long.parseLong(c.get("records")), drops,
                    check(produced, delivered, drops));
        }
        for (int r = 0; r < rounds; r++) {
            Row j = javaLive(kind, events, prog, lost);
            add(size, "live", kind, "java", j.rate(), j.records(), j.drops(), j.note());
            long d0 = drops(lost);
            Map<String, String> c = peer(kind, "live", mapPin, progPin, "--count 0 --seconds " + liveSeconds + common);
            long produced = Long.parseLong(c.get("produced")), delivered = Long.parseLong(c.get("records"));
            long drops = drops(lost) - d0;
            add(size, "live", kind, "libbpf", Double.parseDouble(c.get("rate")), delivered, drops, check(produced, delivered, drops));
        }
    }

    private void add(int size, String figure, ChannelKind kind, String reader, double rate, long records, long drops, String note) {
        Row row = new Row(size, figure, kind, reader, rate, records, drops, note);
        rows.add(row);
        System.out.printf(Locale.ROOT, "%5d B %-8s %-11s %-6s %,15.0f records/s  (%,d records, %,d dropped)%s%n", size, figure,
                kind == ChannelKind.RING_BUFFER ? "ring buffer" : "perf buffer", reader, rate, records, drops,
                note.isEmpty() ? "" : "  " + note);
    }

    private static String check(long produced, long delivered, long drops) {
        return produced == delivered + drops ? "" : "MISMATCH: produced " + produced + " != delivered " + delivered + " + dropped " + drops;
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    // ---- Java readers ----

    /**
     * Counts records and folds their first word, like the C peer's callbacks: ring buffer records
     * as a view each, perf samples as an offset into the ring (no object per sample).
     */
    static final class Sink implements RecordHandler, RawSampleHandler {
        long count;
        long sum;

        @Override
        public void onRecord(MemorySegment record) {
            count++;
            sum += record.get(JAVA_LONG_UNALIGNED, 0);
        }

        @Override
        public void onSample(int cpu, MemorySegment area, long offset, int length) {
            count++;
            sum += area.get(JAVA_LONG_UNALIGNED, offset);
        }
    }

    /** The Java perf reader as configured in use: woken when a quarter of a CPU's ring is pending. */
    private PerfBufferOptions perfOptions() {
        return PerfBufferOptions.defaults().pagesPerCpu(perfPages).watermarkFraction(4);
    }

    private EpollReader open(ChannelKind kind, BpfMap events, Sink sink) {
        return kind == ChannelKind.RING_BUFFER ? RingBufReader.open(events, sink) : PerfBufferReader.open(events, perfOptions(), sink, null);
    }

    /** W+C fills from CPU 0, each drained with poll() on CPU 1 and timed; the median rate of the last C. */
    private double javaConsumer(ChannelKind kind, BpfMap events, BpfProgram prog, long fill) throws Exception {
        Sink sink = new Sink();
        double[] rates = new double[cycles];
        try (EpollReader reader = open(kind, events, sink)) {
            onCpu(1, () -> {
                for (int c = 0; c < warmup + cycles; c++) {
                    onCpu(0, () -> produce(prog, fill));
                    long before = sink.count;
                    long t0 = System.nanoTime();
                    drain(reader);
                    long t = System.nanoTime() - t0;
                    if (sink.count - before != fill) throw new IllegalStateException("drained " + (sink.count - before) + " of " + fill);
                    if (c >= warmup) rates[c - warmup] = fill * 1e9 / t;
                }
            });
        }
        java.util.Arrays.sort(rates);
        return rates[cycles / 2];
    }

    private static void drain(EpollReader reader) {
        while (reader.poll() > 0) {
            // until a pass brings nothing new
        }
    }

    /** A producer-cost run: rate over the timed part, records in it, and totals including the warm-up. */
    record Produced(double rate, long timed, long total, long delivered) {}

    private Produced javaProducer(ChannelKind kind, BpfMap events, BpfProgram prog) throws Exception {
        Sink sink = new Sink();
        long[] produced = new long[2];
        double[] elapsed = new double[1];
        try (EpollReader reader = open(kind, events, sink)) {
            AtomicBoolean done = new AtomicBoolean();
            Thread consumer = readerThread(reader, done, new long[1]);
            onCpu(0, () -> produced[0] = produceFor(prog, 0.2));
            onCpu(0, () -> {
                long t0 = System.nanoTime();
                produced[1] = produceFor(prog, seconds);
                elapsed[0] = (System.nanoTime() - t0) / 1e9;
            });
            done.set(true);
            consumer.join();
        }
        return new Produced(produced[1] / elapsed[0], produced[1], produced[0] + produced[1], sink.count);
    }

    /** Producers on CPUs 0 and 1 for liveSeconds each while the reader polls; records/s until the last one arrived. */
    private Row javaLive(ChannelKind kind, BpfMap events, BpfProgram prog, BpfMap lost) throws Exception {
        Sink sink = new Sink();
        long d0 = drops(lost);
        long[] lastDelivery = new long[1];
        long[] produced = new long[2];
        long t0;
        try (EpollReader reader = open(kind, events, sink)) {
            AtomicBoolean done = new AtomicBoolean();
            t0 = System.nanoTime();
            Thread consumer = readerThread(reader, done, lastDelivery);
            Thread p0 = startOnCpu(0, () -> produced[0] = produceFor(prog, liveSeconds));
            Thread p1 = startOnCpu(1, () -> produced[1] = produceFor(prog, liveSeconds));
            join(p0);
            join(p1);
            done.set(true);
            consumer.join();
        }
        long drops = drops(lost) - d0;
        double t = (lastDelivery[0] - t0) / 1e9;
        return new Row(0, "live", kind, "java", sink.count / t, sink.count, drops, check(produced[0] + produced[1], sink.count, drops));
    }

    /** Reads as an application would until told the producers are done, then drains; notes the last delivery. */
    private static Thread readerThread(EpollReader reader, AtomicBoolean done, long[] lastDelivery) {
        Thread t = new Thread(() -> {
            while (true) {
                boolean finished = done.get();
                int n = finished ? reader.poll() : reader.read(100);
                if (n > 0) lastDelivery[0] = System.nanoTime();
                else if (finished) break;
            }
        }, "channel-reader");
        t.start();
        return t;
    }

    private void produce(BpfProgram prog, long count) {
        byte[] frame = new byte[64];
        for (long left = count; left > 0; ) {
            int n = (int) Math.min(left, chunk);
            prog.testRun(new TestRun(frame, n, 0, null));
            left -= n;
        }
    }

    private long produceFor(BpfProgram prog, double secs) {
        byte[] frame = new byte[64];
        long produced = 0;
        long end = System.nanoTime() + (long) (secs * 1e9);
        while (System.nanoTime() < end) {
            prog.testRun(new TestRun(frame, chunk, 0, null));
            produced += chunk;
        }
        return produced;
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void onCpu(int cpu, Body body) throws Exception {
        join(startOnCpu(cpu, body));
    }

    /** A thread pinned to {@code cpu} running {@code body}; {@link #join} rethrows what it threw. */
    private static Thread startOnCpu(int cpu, Body body) {
        Pinned t = new Pinned(cpu, body);
        t.start();
        return t;
    }

    private static void join(Thread t) throws Exception {
        t.join();
        if (t instanceof Pinned p && p.failure != null) throw p.failure;
    }

    private static final class Pinned extends Thread {
        private final int cpu;
        private final Body body;
        volatile Exception failure;

        Pinned(int cpu, Body body) {
            super("bench-cpu" + cpu);
            this.cpu = cpu;
            this.body = body;
        }

        @Override
        public void run() {
            try {
                Cpus.pinCurrentThread(cpu);
                body.run();
            } catch (Exception e) {
                failure = e;
            }
        }
    }

    /** Everything the program counted as not handed over (all loss slots, all CPUs). */
    private static long drops(BpfMap lost) {
        long sum = 0;
        for (int slot = 0; slot < 4; slot++) {
            byte[] key = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(slot).array();
            byte[] v = lost.lookup(key).orElseThrow();
            sum += PerCpu.sumLongs(MemorySegment.ofArray(v), 0, PerCpu.stride(lost.valueSize()));
        }
        return sum;
    }

    // ---- the C peer ----

    private Map<String, String> peer(ChannelKind kind, String figure, Path mapPin, Path progPin, String extra) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(peer.toString(), kind == ChannelKind.RING_BUFFER ? "ring" : "perf", figure,
                mapPin.toString(), progPin.toString()));
        cmd.addAll(List.of(extra.trim().split("\\s+")));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) throw new IllegalStateException("C peer failed: " + String.join(" ", cmd));
        Map<String, String> kv = new HashMap<>();
        for (String tok : out.split("\\s+")) {
            int eq = tok.indexOf('=');
            if (eq > 0) kv.put(tok.substring(0, eq), tok.substring(eq + 1));
        }
        return kv;
    }

    // ---- report ----

    private List<Row> runs(int size, String figure, ChannelKind kind, String reader) {
        return rows.stream().filter(r -> r.size() == size && r.figure().equals(figure) && r.kind() == kind && r.reader().equals(reader)).toList();
    }

    /** Median rate over the rounds. */
    private double rate(int size, String figure, ChannelKind kind, String reader) {
        double[] r = runs(size, figure, kind, reader).stream().mapToDouble(Row::rate).sorted().toArray();
        return r.length == 0 ? Double.NaN : r[r.length / 2];
    }

    /** Drops over all rounds. */
    private long drops(int size, String figure, ChannelKind kind, String reader) {
        return runs(size, figure, kind, reader).stream().mapToLong(Row::drops).sum();
    }

    private String markdown() {
        StringBuilder s = new StringBuilder();
        s.append("| record | figure | Java ring | libbpf ring | Java/libbpf | Java perf | libbpf perf | Java/libbpf |\n");
        s.append("|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for (int size : sizes) {
            for (String f : FIGURES) {
                double jr = rate(size, f, ChannelKind.RING_BUFFER, "java"), lr = rate(size, f, ChannelKind.RING_BUFFER, "libbpf");
                double jp = rate(size, f, ChannelKind.PERF_BUFFER, "java"), lp = rate(size, f, ChannelKind.PERF_BUFFER, "libbpf");
                s.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %s | %s | %.2f |%n", size == 1024 ? "1 KiB" : size + " B", f,
                        fmt(jr, drops(size, f, ChannelKind.RING_BUFFER, "java")), fmt(lr, drops(size, f, ChannelKind.RING_BUFFER, "libbpf")), jr / lr,
                        fmt(jp, drops(size, f, ChannelKind.PERF_BUFFER, "java")), fmt(lp, drops(size, f, ChannelKind.PERF_BUFFER, "libbpf")), jp / lp));
            }
        }
        s.append(String.format(Locale.ROOT, "%nRecords/s, median of %d rounds (Java and libbpf runs alternating); \"(n dropped)\": records the program "
                + "counted as lost over those rounds. Ring buffer %d MiB; perf buffer %d pages per CPU (Java: woken at 1/4 full; libbpf: "
                + "perf_buffer defaults, woken per sample). consumer: median of %d timed drains (on CPU 1, after %d warm-up drains) of 90%% "
                + "of a ring's worth of records produced on CPU 0; producer: %.1f s on CPU 0 while the reader polls; live: %.1f s on each of "
                + "CPUs 0 and 1 while the reader polls, rate until the last record arrived.%n",
                rounds, ringBytes >> 20, perfPages, cycles, warmup, seconds, liveSeconds));
        return s.toString();
    }

    private static String fmt(double rate, long drops) {
        String r = rate >= 1e6 ? String.format(Locale.ROOT, "%.2f M", rate / 1e6) : String.format(Locale.ROOT, "%.0f k", rate / 1e3);
        return drops == 0 ? r : r + String.format(Locale.ROOT, " (%,d dropped)", drops);
    }

    private void updateDocs(Path docs, String table) throws IOException {
        String text = Files.exists(docs) ? Files.readString(docs) : "# Benchmarks\n";
        int b = text.indexOf(MARK_BEGIN), e = text.indexOf(MARK_END);
        String block = MARK_BEGIN + "\n" + table + MARK_END;
        if (b >= 0 && e > b) {
            text = text.substring(0, b) + block + text.substring(e + MARK_END.length());
        } else {
            text = text.stripTrailing() + "\n\n## Kernel-to-user channels\n\n" + block + "\n";
        }
        Files.writeString(docs, text);
        System.out.println("updated " + docs);
    }
}
