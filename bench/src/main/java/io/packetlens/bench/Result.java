package io.packetlens.bench;

import java.util.List;

/** The timed rounds of one method and their summary statistics. */
record Result(Method method, List<Round> rounds) {

    Samples entriesPerSecond() {
        return Samples.of(rounds.stream().mapToDouble(Round::entriesPerSecond).toArray());
    }

    Samples wallMillis() {
        return Samples.of(rounds.stream().mapToDouble(r -> r.wallNanos() / 1e6).toArray());
    }

    /** CPU time of whoever did the work: this process for the Java readers, the child for bpftool. */
    private CpuTime cpu(Round r) {
        return method.childProcess() ? r.children() : r.process();
    }

    Samples userMillis() {
        return Samples.of(rounds.stream().mapToDouble(r -> cpu(r).userNanos() / 1e6).toArray());
    }

    Samples sysMillis() {
        return Samples.of(rounds.stream().mapToDouble(r -> cpu(r).sysNanos() / 1e6).toArray());
    }
}
