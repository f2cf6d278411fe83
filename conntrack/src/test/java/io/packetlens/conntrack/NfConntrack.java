package io.packetlens.conntrack;

import io.packetlens.lab.Host;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's own connection tracker in a lab namespace, the oracle of the tests: an nftables table whose rule asks for
 * conntrack (so nf_conntrack tracks that namespace), accounting on, and {@code conntrack -L -o extended} read back as
 * {@link Entry} records in the same terms as packetlens's {@link Connection}.
 */
final class NfConntrack implements AutoCloseable {
    static final String TABLE = "pl_ct_oracle";
    private final Host host;

    /** One line of {@code conntrack -L -o extended}: the original tuple, state (TCP) and both directions' counters. */
    record Entry(String family, String protocol, String state, String source, String destination, int sourcePort,
                 int destinationPort, long origPackets, long origBytes, long replyPackets, long replyBytes, boolean assured) {}

    private NfConntrack(Host host) {
        this.host = host;
    }

    /** Turns nf_conntrack on in {@code host}'s namespace, accounting included, and empties its table. */
    static NfConntrack start(Host host) throws IOException {
        host.exec("sysctl", "-q", "-w", "net.netfilter.nf_conntrack_acct=1");
        host.exec("nft", "add table inet " + TABLE);
        NfConntrack nf = new NfConntrack(host);
        try {
            host.exec("nft", "add chain inet " + TABLE + " in { type filter hook input priority 0 ; }");
            host.exec("nft", "add rule inet " + TABLE + " in ct state new counter");
            host.exec("conntrack", "-F");
        } catch (IOException | RuntimeException e) {
            nf.close();
            throw e;
        }
        return nf;
    }

    void sysctl(String name, String value) throws IOException {
        host.exec("sysctl", "-q", "-w", "net.netfilter." + name + "=" + value);
    }

    /** The table now. */
    List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String line : host.exec("conntrack", "-L", "-o", "extended").split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length < 6 || !(w[0].equals("ipv4") || w[0].equals("ipv6"))) continue;
            String protocol = w[2];
            int i = 5;
            String state = "";
            if (!w[i].contains("=")) state = w[i++];
            List<Map<String, String>> dirs = new ArrayList<>();
            Map<String, String> cur = null;
            boolean assured = false;
            for (; i < w.length; i++) {
                if (w[i].equals("[ASSURED]")) assured = true;
                int eq = w[i].indexOf('=');
                if (eq < 0) continue;
                String k = w[i].substring(0, eq), v = w[i].substring(eq + 1);
                if (k.equals("src")) {
                    cur = new HashMap<>();
                    dirs.add(cur);
                }
                if (cur != null && dirs.size() <= 2) cur.putIfAbsent(k, v);
            }
            if (dirs.size() < 2) continue;
            Map<String, String> o = dirs.get(0), r = dirs.get(1);
            int sp, dp;
            if (o.containsKey("sport")) {
                sp = Integer.parseInt(o.get("sport"));
                dp = Integer.parseInt(o.get("dport"));
            } else if (o.containsKey("id")) {
                sp = dp = Integer.parseInt(o.get("id"));
            } else {
                sp = dp = 0;
            }
            out.add(new Entry(w[0], protocol, state, o.get("src"), o.get("dst"), sp, dp, num(o, "packets"), num(o, "bytes"),
                    num(r, "packets"), num(r, "bytes"), assured));
        }
        return out;
    }

    private static long num(Map<String, String> m, String k) {
        String v = m.get(k);
        return v == null ? -1 : Long.parseLong(v);
    }

    @Override
    public void close() {
        try {
            host.exec("nft", "delete table inet " + TABLE);
        } catch (IOException ignored) {
            // the lab's namespace goes with the test anyway
        }
    }
}
