package io.packetlens.bench;

import java.util.Arrays;

/** Median, minimum and maximum of a handful of measurements (one per round). */
record Samples(double median, double min, double max) {

    static Samples of(double[] values) {
        if (values.length == 0) throw new IllegalArgumentException("no samples");
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new Samples(median, v[0], v[n - 1]);
    }
}
