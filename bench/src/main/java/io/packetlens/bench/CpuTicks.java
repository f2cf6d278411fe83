package io.packetlens.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One CPU's line of {@code /proc/stat}: time spent per state since boot, in USER_HZ ticks (1/100 s). On this kernel
 * (CONFIG_TICK_CPU_ACCOUNTING, no IRQ_TIME_ACCOUNTING) each scheduler tick is charged to exactly one state by what the
 * CPU was doing when it came: softirq when it was serving a softirq (in whatever task's context, ksoftirqd included),
 * system for kernel code outside interrupts, user, idle, and so on. So the states partition the CPU's time, sampled at
 * the tick rate (250 Hz here): over a 10 s window the sampling error is well under 1% of a CPU.
 */
record CpuTicks(long user, long nice, long system, long idle, long iowait, long irq, long softirq, long steal) {
    /** /proc/stat and /proc/PID/stat count in USER_HZ, which is 100 on every architecture Linux exports it for. */
    static final double HZ = 100.0;

    static CpuTicks read(int cpu) throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/stat")), cpu);
    }

    /** Every online CPU's ticks, in {@code Cpus.online()} order. */
    static CpuTicks[] online() throws IOException {
        int[] cpus = io.packetlens.ebpf.cpu.Cpus.online();
        List<String> stat = Files.readAllLines(Path.of("/proc/stat"));
        CpuTicks[] out = new CpuTicks[cpus.length];
        for (int i = 0; i < cpus.length; i++) out[i] = parse(stat, cpus[i]);
        return out;
    }

    static CpuTicks parse(List<String> procStat, int cpu) {
        String name = "cpu" + cpu;
        for (String line : procStat) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals(name)) {
                return new CpuTicks(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                        Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), f.length > 8 ? Long.parseLong(f[8]) : 0);
            }
        }
        throw new IllegalStateException("no " + name + " line in /proc/stat");
    }

    CpuTicks minus(CpuTicks o) {
        return new CpuTicks(user - o.user, nice - o.nice, system - o.system, idle - o.idle, iowait - o.iowait, irq - o.irq,
                softirq - o.softirq, steal - o.steal);
    }

    /** Not idle, not waiting for I/O, not stolen by the hypervisor. */
    long busy() {
        return user + nice + system + irq + softirq;
    }

    long total() {
        return user + nice + system + idle + iowait + irq + softirq + steal;
    }

    /**
     * A task's user + system ticks from {@code /proc/PID/stat} (fields 14 and 15, counted after the parenthesised
     * command name, which may itself hold spaces and parentheses); -1 when the task is gone.
     */
    static long taskTicks(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (IOException e) {
            return -1;
        }
        return parseTaskTicks(stat);
    }

    static long parseTaskTicks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // after the name: state is field 3, so utime (14) and stime (15) are at 11 and 12 here
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** Column {@code column} (0 processed, 1 dropped, 2 time squeeze, ...) of CPU {@code cpu}'s line in /proc/net/softnet_stat (hex). */
    static long softnet(int cpu, int column) throws IOException {
        return parseSoftnet(Files.readAllLines(Path.of("/proc/net/softnet_stat")), cpu, column);
    }

    static long parseSoftnet(List<String> lines, int cpu, int column) {
        // one line per online CPU, in order; newer kernels add the CPU number as the 13th column, used when present
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).trim().split("\\s+");
            int id = f.length >= 13 ? Integer.parseInt(f[12], 16) : i;
            if (id == cpu) return Long.parseLong(f[column], 16);
        }
        throw new IllegalStateException("no line for CPU " + cpu + " in /proc/net/softnet_stat");
    }
}
