package io.packetlens.ebpf.netlink;

import io.packetlens.ebpf.BpfException;
import io.packetlens.ebpf.Errno;

/**
 * A netlink request the kernel refused, or a reply that could not be understood: carries
 * the errno and, when the kernel sent one, its extended-ack text (for example
 * "Native and generic XDP can't be active at the same time."), which the message includes.
 */
public class NetlinkException extends BpfException {
    private final String kernelMessage;

    public NetlinkException(String message, int errno, String kernelMessage) {
        super(message, errno, null);
        this.kernelMessage = kernelMessage;
    }

    /** Builds the exception for a failed {@code operation}, naming errno and the kernel's own explanation. */
    public static NetlinkException of(String operation, NetlinkError error) {
        StringBuilder s = new StringBuilder(operation).append(": ").append(Errno.describe(error.errno()));
        if (error.message() != null && !error.message().isEmpty()) s.append(": kernel says \"").append(error.message()).append('"');
        if (error.errno() == Errno.EPERM) s.append(" (netlink changes need root or CAP_NET_ADMIN)");
        return new NetlinkException(s.toString(), error.errno(), error.message());
    }

    /** The kernel's extended-ack message (NLMSGERR_ATTR_MSG), or null if it sent none. */
    public String kernelMessage() {
        return kernelMessage;
    }
}
