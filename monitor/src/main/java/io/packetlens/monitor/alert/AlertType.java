package io.packetlens.monitor.alert;

import io.packetlens.config.ConfigNode;

/** The kinds of alert rule, written in configurations as {@code source-pps}, {@code new-flows-per-second}, {@code port-scan}. */
public enum AlertType {
    /** One source sends more than the threshold in packets per second. */
    SOURCE_PPS,
    /** More new flows per second than the threshold, averaged over the window (default 1 s). */
    NEW_FLOWS_PER_SECOND,
    /** One source reaches more distinct destination ports than the threshold within the window (default 10 s). */
    PORT_SCAN;

    /** The name in configurations and metrics labels. */
    public String label() {
        return ConfigNode.name(this);
    }
}
