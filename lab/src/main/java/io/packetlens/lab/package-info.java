/**
 * Network namespace lab for kernel tests and the demo: two namespaces joined by a silent veth pair,
 * traffic generators, counters to cross-check against, and guaranteed cleanup.
 */
package io.packetlens.lab;
