package io.packetlens.bench;

/**
 * One timed dump of the whole map: how many entries it read, its wall time, and the CPU
 * time spent meanwhile by this process (all JVM threads) and by child processes (bpftool).
 */
record Round(long entries, long wallNanos, CpuTime process, CpuTime children) {

    double entriesPerSecond() {
        return entries * 1e9 / wallNanos;
    }

    /** Clock readings taken just before a round; {@link #end} turns them into the round. */
    record Start(long wallNanos, CpuTime process, CpuTime children) {
        static Start now() {
            CpuTime p = CpuTime.process();
            CpuTime c = CpuTime.children();
            return new Start(System.nanoTime(), p, c);
        }

        Round end(long entries) {
            long wall = System.nanoTime() - wallNanos;
            CpuTime c = CpuTime.children();
            CpuTime p = CpuTime.process();
            return new Round(entries, wall, p.minus(process), c.minus(children));
        }
    }
}
