package io.packetlens.ebpf.link;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.BpfProgram;
import io.packetlens.ebpf.Errno;
import io.packetlens.ebpf.ProgramType;
import io.packetlens.ebpf.socket.NativeSocket;
import io.packetlens.ebpf.sys.Sockets;

/**
 * A SOCKET_FILTER program on a socket (setsockopt SO_ATTACH_BPF): the program sees each
 * packet the socket would receive and returns how many bytes to keep (0 drops it). On an
 * AF_PACKET socket that filters capture; on a UDP or TCP socket it filters what the
 * application reads. The filter belongs to the socket: closing this detaches it
 * (SO_DETACH_BPF), and closing the socket, or the process dying, removes it too.
 */
public final class SocketFilter extends Link {
    private final NativeSocket socket;

    private SocketFilter(NativeSocket socket, String what) {
        super(what);
        this.socket = socket;
    }

    /**
     * Attaches {@code program} to {@code socket}, replacing a filter the socket already had.
     *
     * @throws BpfException if the program is not a SOCKET_FILTER program or the kernel refuses
     */
    public static SocketFilter attach(BpfProgram program, NativeSocket socket) {
        if (program.type() != ProgramType.SOCKET_FILTER) {
            throw new BpfException("program " + program.name() + " is " + program.type()
                    + ", sockets take SOCKET_FILTER programs (section \"socket\")");
        }
        String what = "socket filter " + program.name() + " on " + socket;
        int r = Sockets.setsockopt(socket.fd(), Sockets.SOL_SOCKET, Sockets.SO_ATTACH_BPF, program.fd());
        if (r < 0) throw BpfException.of("attach " + what, -r);
        return new SocketFilter(socket, what);
    }

    @Override
    public boolean detachesOnExit() {
        return true;
    }

    /** SO_DETACH_BPF, unless the socket is closed already (which removed the filter with it). */
    @Override
    protected void release() {
        if (!socket.isOpen()) return;
        int r = Sockets.setsockopt(socket.fd(), Sockets.SOL_SOCKET, Sockets.SO_DETACH_BPF, 0);
        // ENOENT: no filter any more (detached elsewhere, or replaced by a classic filter and removed)
        if (r < 0 && -r != Errno.ENOENT) throw BpfException.of("detach " + description(), -r);
    }
}
