package io.packetlens.ebpf.link;

import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.netlink.Attribute;
import io.packetlens.ebpf.netlink.Attributes;
import io.packetlens.ebpf.netlink.Message;
import io.packetlens.ebpf.netlink.MessageBuilder;
import io.packetlens.ebpf.netlink.Netlink;
import io.packetlens.ebpf.netlink.NetlinkException;
import io.packetlens.ebpf.netlink.NetlinkSocket;
import io.packetlens.ebpf.netlink.Rtnetlink;
import io.packetlens.ebpf.netlink.TcMsg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The clsact qdisc and cls_bpf filters over rtnetlink, as {@code tc qdisc add dev X clsact}
 * and {@code tc filter add dev X ingress bpf da fd N} would do. The qdisc is shared by every
 * filter of an interface: this JVM counts its own users per (namespace, interface), creates
 * the qdisc if there is none, and deletes it after its last user only if it created it and no
 * filter (ours or anyone's) remains.
 */
final class Clsact {
    /** A cls_bpf filter as the kernel lists it. */
    record Filter(TcDirection direction, int priority, int handle, int programId, String name, boolean directAction) {}

    private record Key(String netns, int ifindex) {}

    private static final class Users {
        int count;
        boolean created;
    }

    private static final Map<Key, Users> QDISCS = new HashMap<>();

    private Clsact() {}

    /** The calling thread's network namespace, as /proc names it ("net:[4026531840]"). */
    static String netns() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static MessageBuilder qdisc(int type, int flags, int ifindex) {
        return new MessageBuilder(type, flags)
                .header(new TcMsg(0, ifindex, Rtnetlink.tcHandle(Rtnetlink.TC_H_CLSACT, 0), Rtnetlink.TC_H_CLSACT, 0).bytes())
                .attrString(Rtnetlink.TCA_KIND, "clsact");
    }

    /** Makes sure the interface has a clsact qdisc, counting this user; returns the registry key to release with. */
    static Object acquire(NetlinkSocket nl, int ifindex) {
        Key key = new Key(netns(), ifindex);
        synchronized (QDISCS) {
            Users u = QDISCS.get(key);
            if (u == null || !exists(nl, ifindex)) {
                boolean created = create(nl, ifindex);
                if (u == null) {
                    u = new Users();
                    QDISCS.put(key, u);
                }
                u.created |= created;
            }
            u.count++;
        }
        return key;
    }

    private static boolean create(NetlinkSocket nl, int ifindex) {
        try {
            nl.request(qdisc(Rtnetlink.RTM_NEWQDISC, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL, ifindex),
                    "add clsact qdisc to ifindex " + ifindex);
            return true;
        } catch (NetlinkException e) {
            if (e.errno() == Errno.EEXIST) return false; // someone else's clsact: use it, never delete it
            throw e;
        }
    }

    private static boolean exists(NetlinkSocket nl, int ifindex) {
        for (Message m : nl.dump(new MessageBuilder(Rtnetlink.RTM_GETQDISC, 0).header(new TcMsg(0, ifindex, 0, 0, 0).bytes()),
                "list qdiscs")) {
            TcMsg t = TcMsg.parse(m);
            if (t.ifindex() == ifindex && t.parent() == Rtnetlink.TC_H_CLSACT
                    && m.attributes(TcMsg.SIZE).get(Rtnetlink.TCA_KIND).map(Attribute::string).orElse("").equals("clsact")) {
                return true;
            }
        }
        return false;
    }

    /** Drops this user; after the last one, deletes the qdisc if this JVM created it and it holds no filter. */
    static void release(NetlinkSocket nl, Object registryKey) {
        Key key = (Key) registryKey;
        synchronized (QDISCS) {
            Users u = QDISCS.get(key);
            if (u == null || --u.count > 0) return;
            QDISCS.remove(key);
            if (!u.created) return;
            try {
                if (!filters(nl, key.ifindex, TcDirection.INGRESS).isEmpty() || !filters(nl, key.ifindex, TcDirection.EGRESS).isEmpty()) return;
                nl.request(qdisc(Rtnetlink.RTM_DELQDISC, 0, key.ifindex), "delete clsact qdisc of ifindex " + key.ifindex);
            } catch (NetlinkException e) {
                // gone already (interface deleted, or someone removed the qdisc): nothing left to clean
                if (e.errno() != Errno.ENODEV && e.errno() != Errno.ENOENT && e.errno() != Errno.EINVAL) throw e;
            }
        }
    }

    /**
     * Adds a direct-action cls_bpf filter; returns the filter as the kernel echoed it (with the
     * priority and handle it chose where we passed 0).
     */
    static Filter add(NetlinkSocket nl, int ifindex, TcDirection dir, int progFd, String progName, int priority, int handle,
                      String what) {
        MessageBuilder m = new MessageBuilder(Rtnetlink.RTM_NEWTFILTER, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL | Netlink.NLM_F_ECHO)
                .header(new TcMsg(0, ifindex, handle, dir.clsactParent(), info(priority)).bytes())
                .attrString(Rtnetlink.TCA_KIND, "bpf")
                .beginNested(Rtnetlink.TCA_OPTIONS)
                .attrU32(Rtnetlink.TCA_BPF_FD, progFd)
                .attrString(Rtnetlink.TCA_BPF_NAME, progName)
                .attrU32(Rtnetlink.TCA_BPF_FLAGS, Rtnetlink.TCA_BPF_FLAG_ACT_DIRECT)
                .endNested();
        for (Message reply : nl.request(m, what)) {
            if (reply.type() == Rtnetlink.RTM_NEWTFILTER) {
                Filter f = parse(reply, dir);
                if (f != null) return f;
            }
        }
        // no echo (very old kernels): we know what we asked for only if we chose both numbers
        if (priority == 0 || handle == 0) throw new NetlinkException(what + ": the kernel did not echo the new filter", 0, null);
        return new Filter(dir, priority, handle, 0, progName, true);
    }

    static void delete(NetlinkSocket nl, int ifindex, Filter f, String what) {
        nl.request(new MessageBuilder(Rtnetlink.RTM_DELTFILTER, 0)
                .header(new TcMsg(0, ifindex, f.handle(), f.direction().clsactParent(), info(f.priority())).bytes())
                .attrString(Rtnetlink.TCA_KIND, "bpf"), what);
    }

    /** The cls_bpf filters of one hook, in the kernel's (priority) order; empty if there is no clsact qdisc. */
    static List<Filter> filters(NetlinkSocket nl, int ifindex, TcDirection dir) {
        List<Filter> out = new ArrayList<>();
        List<Message> replies;
        try {
            replies = nl.dump(new MessageBuilder(Rtnetlink.RTM_GETTFILTER, 0)
                    .header(new TcMsg(0, ifindex, 0, dir.clsactParent(), 0).bytes()), "list filters");
        } catch (NetlinkException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) return out; // no clsact qdisc
            throw e;
        }
        for (Message m : replies) {
            if (m.type() != Rtnetlink.RTM_NEWTFILTER) continue;
            Filter f = parse(m, dir);
            if (f != null) out.add(f);
        }
        return out;
    }

    /** A cls_bpf filter from an RTM_NEWTFILTER message, or null for other kinds and for the per-priority chain heads. */
    private static Filter parse(Message m, TcDirection dir) {
        TcMsg t = TcMsg.parse(m);
        Attributes a = m.attributes(TcMsg.SIZE);
        if (!a.get(Rtnetlink.TCA_KIND).map(Attribute::string).orElse("").equals("bpf") || t.handle() == 0) return null;
        Attributes opts = a.get(Rtnetlink.TCA_OPTIONS).map(Attribute::nested).orElse(null);
        if (opts == null) return null;
        int id = opts.get(Rtnetlink.TCA_BPF_ID).map(Attribute::u32).orElse(0);
        String name = opts.get(Rtnetlink.TCA_BPF_NAME).map(Attribute::string).orElse("");
        boolean da = (opts.get(Rtnetlink.TCA_BPF_FLAGS).map(Attribute::u32).orElse(0) & Rtnetlink.TCA_BPF_FLAG_ACT_DIRECT) != 0;
        return new Filter(dir, t.priority(), t.handle(), id, name, da);
    }

    private static int info(int priority) {
        return (priority << 16) | Rtnetlink.htons(Rtnetlink.ETH_P_ALL);
    }
}
