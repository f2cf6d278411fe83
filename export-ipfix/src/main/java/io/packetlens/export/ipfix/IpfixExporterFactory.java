package io.packetlens.export.ipfix;

import io.packetlens.config.ConfigNode;
import io.packetlens.export.ExportContext;
import io.packetlens.export.Exporter;
import io.packetlens.export.ExporterFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code type: ipfix}: {@code collectors} (a list of {@code udp://HOST:PORT} / {@code tcp://HOST:PORT}, required),
 * {@code template-refresh} (60s), {@code template-refresh-packets} (0, off), {@code mtu} (1500),
 * {@code max-message-size} (65535, TCP), {@code observation-domain} (the agent's), {@code connect-timeout} (5s),
 * {@code write-timeout} (10s). See docs/IPFIX.md.
 */
public final class IpfixExporterFactory implements ExporterFactory {
    /** Smallest MTU accepted: IPv4's minimum datagram size every host must take. */
    public static final int MIN_MTU = 576;

    @Override
    public String type() {
        return "ipfix";
    }

    @Override
    public Set<String> keys() {
        return Set.of("collectors", "template-refresh", "template-refresh-packets", "mtu", "max-message-size",
                "observation-domain", "connect-timeout", "write-timeout");
    }

    @Override
    public Exporter create(ConfigNode section, ExportContext context) {
        return new IpfixExporter(read(section, context), context);
    }

    /** Reads and checks the section. */
    public static IpfixSettings read(ConfigNode section, ExportContext context) {
        ConfigNode list = section.required("collectors", "a list of collectors such as udp://127.0.0.1:4739 or tcp://collector:4739");
        List<Collector> collectors = new ArrayList<>();
        for (ConfigNode c : list.list(true)) collectors.add(Collector.parse(c));
        if (collectors.isEmpty()) throw section.error("collectors", "needs at least one collector");
        Duration refresh = section.optional("template-refresh", ConfigNode::duration, IpfixSettings.DEFAULT_TEMPLATE_REFRESH);
        int refreshPackets = (int) section.optional("template-refresh-packets", n -> n.integer(0, 1_000_000), 0L).longValue();
        int mtu = (int) section.optional("mtu", n -> n.integer(MIN_MTU, 65535), (long) IpfixSettings.DEFAULT_MTU).longValue();
        int maxTcp = (int) section.optional("max-message-size", n -> n.integer(512, MessageBuilder.MAX_MESSAGE_LENGTH),
                (long) IpfixSettings.DEFAULT_MAX_TCP_MESSAGE).longValue();
        long domain = section.optional("observation-domain", n -> n.integer(0, 0xffff_ffffL), context.observationDomain());
        Duration connect = section.optional("connect-timeout", ConfigNode::duration, IpfixSettings.DEFAULT_CONNECT_TIMEOUT);
        Duration write = section.optional("write-timeout", ConfigNode::duration, IpfixSettings.DEFAULT_WRITE_TIMEOUT);
        IpfixSettings s = new IpfixSettings(collectors, refresh, refreshPackets, mtu, maxTcp, domain, connect, write);
        return s;
    }
}
