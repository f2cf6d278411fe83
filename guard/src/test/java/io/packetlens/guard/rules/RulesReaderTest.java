package io.packetlens.guard.rules;

import io.packetlens.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RulesReaderTest {
    @Test
    void theDocumentedExampleReads() {
        RuleSet r = RulesReader.read(Path.of("../docs/guard.example.yaml"));
        assertThat(r.rules()).isNotEmpty();
        assertThat(r.limits()).containsKey("syn-flood");
    }

    @Test
    void everyKeyIsRead() {
        RuleSet r = RulesReader.parse("""
                default: deny
                dry-run: true
                fragments: {table-size: 1024, timeout: 10s, when-full: fail-open}
                rate-limits:
                  syn-flood: {packets-per-second: 100, burst: 200, traffic: syn, ban: 30s}
                  per-24: {per: prefix, prefix-v4: 24, prefix-v6: 48, bytes-per-second: 1MB}
                rules:
                  - {name: late, priority: 50, action: allow, protocol: udp}
                  - name: ssh
                    priority: 5
                    action: allow
                    source: [10.0.0.0/8, "2001:db8::/32"]
                    protocol: tcp
                    destination-port: [22, 8000-8100]
                  - {name: syn, action: rate-limit, limit: syn-flood, protocol: tcp, tcp-flags: {set: [syn], unset: [ack]}, vlan: 100}
                  - {name: ping, action: count, protocol: icmp, icmp: {type: 8}}
                """);
        assertThat(r.defaultAction()).isEqualTo(Action.DENY);
        assertThat(r.dryRun()).isTrue();
        assertThat(r.fragments()).isEqualTo(new FragmentPolicy(1024, Duration.ofSeconds(10), false));
        assertThat(r.rules()).extracting(Rule::name).as("by priority").containsExactly("ssh", "syn", "ping", "late");
        Rule ssh = r.rules().getFirst();
        assertThat(ssh.sources()).containsExactly(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32"));
        assertThat(ssh.destinationPorts()).containsExactly(new PortRange(22, 22), new PortRange(8000, 8100));
        assertThat(ssh.protocols()).containsExactly(6);
        Rule syn = r.rules().get(1);
        assertThat(syn.tcpFlags()).isEqualTo(new TcpFlagsMatch(TcpFlagsMatch.SYN, TcpFlagsMatch.ACK));
        assertThat(syn.vlan()).isEqualTo(100);
        assertThat(r.limits().get("syn-flood").ban()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.limits().get("per-24").prefixV4()).isEqualTo(24);
        assertThat(r.limits().get("per-24").bytesPerSecond()).isEqualTo(1_000_000);
        assertThat(r.rules().get(2).icmp()).isEqualTo(new IcmpMatch(8, -1));
        assertThat(Cidr.parse("10.1.2.3").contains(InetAddress.ofLiteral("10.1.2.3"))).isTrue();
        assertThat(Cidr.parse("10.0.0.0/8").contains(InetAddress.ofLiteral("11.0.0.1"))).isFalse();
    }

    @Test
    void statesReadAsOneOrAList() {
        RuleSet r = RulesReader.parse("""
                rules:
                  - {action: allow, state: established}
                  - {action: allow, state: [related, NEW]}
                  - {action: deny}
                """);
        assertThat(r.rules().get(0).states()).containsExactly(ConnectionState.ESTABLISHED);
        assertThat(r.rules().get(1).states()).containsExactlyInAnyOrder(ConnectionState.NEW, ConnectionState.RELATED);
        assertThat(r.rules().get(2).states()).isEmpty();
    }

    private static void refused(String yaml, String key, String message) {
        assertThatThrownBy(() -> RulesReader.parse(yaml)).isInstanceOfSatisfying(ConfigException.class, e -> {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).contains(message).contains("(line ");
        });
    }

    @Test
    void aBadFileNamesTheKeyAndItsLine() {
        refused("default: reject", "default", "expected one of");
        refused("rules:\n  - {action: drop}", "rules[0].action", "expected one of allow, deny, rate-limit, count");
        refused("rules:\n  - {source: 10.0.0.1/8}", "rules[0].action", "required");
        refused("rules:\n  - {action: deny, source: 10.0.0.1/8}", "rules[0].source", "has host bits set (the network is 10.0.0.0/8)");
        refused("rules:\n  - {action: deny, source: 300.1.1.1}", "rules[0].source", "not an IPv4 or IPv6 address");
        refused("rules:\n  - {action: deny, destination-port: 22}", "rules[0].destination-port", "ports need protocol");
        refused("rules:\n  - {action: deny, protocol: icmp, destination-port: 22}", "rules[0].protocol", "ports are for tcp, udp or sctp");
        refused("rules:\n  - {action: deny, protocol: tcp, destination-port: 70000}", "rules[0].destination-port", "0..65535");
        refused("rules:\n  - {action: deny, protocol: tcp, destination-port: 90-80}", "rules[0].destination-port", "low <= high");
        refused("rules:\n  - {action: deny, protocol: udp, tcp-flags: {set: [syn]}}", "rules[0].tcp-flags", "needs protocol: tcp");
        refused("rules:\n  - {action: deny, protocol: tcp, tcp-flags: {set: [sin]}}", "rules[0].tcp-flags.set[0]", "expected a TCP flag");
        refused("rules:\n  - {action: rate-limit, protocol: tcp}", "rules[0].limit", "required with action rate-limit");
        refused("rules:\n  - {action: allow, state: [new, open]}", "rules[0].state[1]", "expected new, established, related or invalid, got 'open'");
        refused("rules:\n  - {action: allow, state: []}", "rules[0].state", "an empty list matches nothing");
        refused("rules:\n  - {action: rate-limit, limit: nope}", "rules[0].limit", "no limiter named 'nope'");
        refused("rules:\n  - {action: deny, vlan: 5000}", "rules[0].vlan", "between 0 and 4094");
        refused("rules:\n  - {action: deny, source: 10.0.0.0/8, destination: '2001:db8::/32'}", "rules[0].destination", "no address family in common");
        refused("rules:\n  - {name: a, action: deny}\n  - {name: a, action: allow}", "rules[1].name", "a second rule named 'a'");
        refused("rules:\n  - {action: deny, colour: red}", "rules[0].colour", "unknown option");
        refused("rate-limits: {x: {burst: 5}}", "rate-limits.x", "required: packets-per-second or bytes-per-second");
        refused("fragments: {when-full: maybe}", "fragments.when-full", "expected fail-closed or fail-open");
        refused("rules:\n  - {action: deny, source: []}", "rules[0].source", "an empty list matches nothing");
    }
}
