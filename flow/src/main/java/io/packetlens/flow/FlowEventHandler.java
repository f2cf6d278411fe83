package io.packetlens.flow;

/** Receives decoded flow events on the {@link FlowEvents} reader thread, one at a time, in the channel's order. */
@FunctionalInterface
public interface FlowEventHandler {
    void onEvent(FlowEvent event);
}
