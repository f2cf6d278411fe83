package io.packetlens.ebpf.events;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every way an event channel lost or is holding back events, at one moment, per CPU where the
 * kernel counts per CPU. The program-side counts come from the channel's per-CPU counter map
 * ({@code <name>_lost}, maintained by packetlens_events.h) and cover every record the program
 * tried to emit and could not; PERF_RECORD_LOST counts are the perf ring's own view of the
 * same ring-full losses (reported late: ahead of the next sample that fits), so they are not
 * added to the total. Backlog is what was written but not yet read: not lost yet, but what the
 * ring must absorb before it is.
 *
 * @param channel         the events map's name
 * @param kind            the channel carrying it
 * @param delivered       events handed to the application by this source so far
 * @param noSpace         per CPU: refused because the ring was full (ring buffer reserve/output, perf -ENOSPC)
 * @param noReader        per CPU: perf output with no enabled reader ring on that CPU (not opened, paused)
 * @param tooBig          per CPU: larger than the channel accepts
 * @param other           per CPU: any other helper failure
 * @param perfLost        per CPU: samples reported lost by PERF_RECORD_LOST (perf buffer only)
 * @param backlogBytes    bytes written by the kernel and not yet consumed
 * @param peakBacklogBytes largest backlog seen when a read or poll started
 * @param capacityBytes   bytes the channel can hold (ring size; perf: per-CPU ring size times CPUs)
 */
public record LossCounters(String channel, ChannelKind kind, long delivered, long[] noSpace, long[] noReader, long[] tooBig,
                           long[] other, long[] perfLost, long backlogBytes, long peakBacklogBytes, long capacityBytes) {

    /** Events lost because the ring was full, all CPUs. */
    public long ringFull() {
        return sum(noSpace);
    }

    /** Every event the program could not hand over, for any reason, all CPUs. */
    public long total() {
        return sum(noSpace) + sum(noReader) + sum(tooBig) + sum(other);
    }

    /** PERF_RECORD_LOST counts, all CPUs (0 for a ring buffer). */
    public long perfLostTotal() {
        return sum(perfLost);
    }

    private static long sum(long[] a) {
        long s = 0;
        for (long v : a) s += v;
        return s;
    }

    /**
     * The counters as Prometheus-style series (name with labels, value), ready for an exporter:
     * {@code packetlens_events_lost_total{channel,kind,reason,cpu}} for every non-zero per-CPU
     * count and a zero-valued {@code cpu="all"} series per reason so absent losses still show,
     * {@code packetlens_events_perf_lost_total{channel,cpu}}, {@code packetlens_events_delivered_total},
     * {@code packetlens_events_backlog_bytes}, {@code packetlens_events_backlog_peak_bytes},
     * {@code packetlens_events_capacity_bytes}.
     */
    public Map<String, Long> metrics() {
        Map<String, Long> m = new LinkedHashMap<>();
        String base = "channel=\"" + channel + "\",kind=\"" + kind.name().toLowerCase() + "\"";
        m.put("packetlens_events_delivered_total{" + base + "}", delivered);
        reason(m, base, "ring_full", noSpace);
        reason(m, base, "no_reader", noReader);
        reason(m, base, "too_big", tooBig);
        reason(m, base, "other", other);
        if (kind == ChannelKind.PERF_BUFFER) {
            for (int cpu = 0; cpu < perfLost.length; cpu++) {
                if (perfLost[cpu] != 0) m.put("packetlens_events_perf_lost_total{" + base + ",cpu=\"" + cpu + "\"}", perfLost[cpu]);
            }
        }
        m.put("packetlens_events_backlog_bytes{" + base + "}", backlogBytes);
        m.put("packetlens_events_backlog_peak_bytes{" + base + "}", peakBacklogBytes);
        m.put("packetlens_events_capacity_bytes{" + base + "}", capacityBytes);
        return m;
    }

    private static void reason(Map<String, Long> m, String base, String reason, long[] perCpu) {
        m.put("packetlens_events_lost_total{" + base + ",reason=\"" + reason + "\",cpu=\"all\"}", sum(perCpu));
        for (int cpu = 0; cpu < perCpu.length; cpu++) {
            if (perCpu[cpu] != 0) m.put("packetlens_events_lost_total{" + base + ",reason=\"" + reason + "\",cpu=\"" + cpu + "\"}", perCpu[cpu]);
        }
    }

    @Override
    public String toString() {
        return "LossCounters[" + channel + " " + kind + " delivered=" + delivered + " ringFull=" + Arrays.toString(noSpace)
                + " noReader=" + Arrays.toString(noReader) + " tooBig=" + Arrays.toString(tooBig) + " other=" + Arrays.toString(other)
                + (kind == ChannelKind.PERF_BUFFER ? " perfLost=" + Arrays.toString(perfLost) : "")
                + " backlog=" + backlogBytes + "/" + capacityBytes + " peak=" + peakBacklogBytes + "]";
    }
}
