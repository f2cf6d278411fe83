package io.packetlens.ebpf.cpu;

import io.packetlens.ebpf.sys.Affinity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU sets from sysfs, and the calling thread's CPU. Per-CPU maps hold one value per <em>possible</em> CPU
 * ({@code /sys/devices/system/cpu/possible}); perf buffers need one ring per <em>online</em> CPU; a program run with
 * BPF_PROG_TEST_RUN counts into the per-CPU slot of the CPU the calling thread is on, which {@link #pinCurrentThread}
 * fixes.
 */
public final class Cpus {
    private static volatile int possible = -1;

    private Cpus() {}

    /** Number of possible CPUs (highest possible CPU id + 1), cached. */
    public static int possible() {
        int p = possible;
        if (p < 0) {
            p = max(read("/sys/devices/system/cpu/possible")) + 1;
            possible = p;
        }
        return p;
    }

    /** Ids of the online CPUs. */
    public static int[] online() {
        return parse(read("/sys/devices/system/cpu/online"));
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static int max(String list) {
        int[] ids = parse(list);
        int m = 0;
        for (int id : ids) m = Math.max(m, id);
        return m;
    }

    /** Parses a kernel CPU list such as {@code 0-3,5,7-8}. */
    public static int[] parse(String list) {
        if (list.isBlank()) return new int[0];
        return java.util.Arrays.stream(list.split(","))
                .flatMapToInt(r -> {
                    String[] ab = r.trim().split("-");
                    int a = Integer.parseInt(ab[0]);
                    int b = ab.length > 1 ? Integer.parseInt(ab[1]) : a;
                    return java.util.stream.IntStream.rangeClosed(a, b);
                }).toArray();
    }

    /** Restricts the calling thread to {@code cpu} (sched_setaffinity). */
    public static void pinCurrentThread(int cpu) {
        Affinity.pinCurrentThread(cpu);
    }

    /** The CPU the calling thread runs on right now (sched_getcpu). */
    public static int currentCpu() {
        return Affinity.currentCpu();
    }
}
