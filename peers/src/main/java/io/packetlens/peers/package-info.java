/**
 * The real third-party components that tests and benchmarks check packetlens against, run as child processes with
 * guaranteed cleanup: a KRaft Kafka broker ({@link io.packetlens.peers.KafkaBroker}) and nfcapd
 * ({@link io.packetlens.peers.Nfcapd}). Never part of the packetlens jar.
 */
package io.packetlens.peers;
