/**
 * Kernel tracing metadata: tracefs (tracepoint ids and record formats) and the kernel's own
 * BTF, for tracepoint and raw tracepoint programs such as the kfree_skb drop monitor.
 */
package io.packetlens.ebpf.tracing;
