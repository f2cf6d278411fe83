package io.packetlens.ebpf.xsk;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.sys.XskSyscalls;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Waits on several AF_XDP sockets at once (one poll(2) over their fds), for a reader that takes turns over one socket
 * per queue and sleeps when all are empty. The poll set is built once, in the caller's arena, so a wait allocates
 * nothing. One thread polls at a time.
 */
public final class XskPoller {
    private final MemorySegment pollfds;
    private final int count;
    private final short events;

    /**
     * A poll set over {@code sockets}, waiting for received frames or, with {@code forTx}, room in the TX rings; it
     * lives as long as {@code arena} and is of no use once a socket is closed.
     */
    public XskPoller(List<XskSocket> sockets, boolean forTx, Arena arena) {
        this.count = sockets.size();
        this.events = forTx ? XskSyscalls.POLLOUT : XskSyscalls.POLLIN;
        this.pollfds = arena.allocate((long) Math.max(count, 1) * XskSyscalls.POLLFD_SIZE, 8);
        for (int i = 0; i < count; i++) pollfds.set(JAVA_INT, (long) i * XskSyscalls.POLLFD_SIZE, sockets.get(i).fd());
    }

    /**
     * Waits up to {@code timeoutMillis} (-1 = forever, 0 = just check) until a socket is ready; returns how many are,
     * 0 on timeout or when the wait was interrupted (EINTR).
     */
    public int poll(int timeoutMillis) {
        for (int i = 0; i < count; i++) {
            long at = (long) i * XskSyscalls.POLLFD_SIZE;
            pollfds.set(JAVA_SHORT, at + 4, events);
            pollfds.set(JAVA_SHORT, at + 6, (short) 0);
        }
        int r = XskSyscalls.poll(pollfds, count, timeoutMillis);
        if (r == -Errno.EINTR) return 0;
        if (r < 0) throw BpfException.of("poll on " + count + " AF_XDP sockets", -r);
        return r;
    }
}
