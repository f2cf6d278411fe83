package io.packetlens.ebpf.link;

import java.util.Map;
import java.util.Optional;

/**
 * What XDP programs an interface has, as the kernel reports in the IFLA_XDP nest of
 * RTM_NEWLINK: the program id per mode (driver, generic, offload), however it was attached
 * (link or netlink).
 */
public record XdpInfo(int ifindex, String ifname, Map<XdpMode, Integer> programs) {

    public XdpInfo {
        programs = Map.copyOf(programs);
    }

    public boolean isEmpty() {
        return programs.isEmpty();
    }

    /** The id of the program attached in {@code mode}, if any. */
    public Optional<Integer> programId(XdpMode mode) {
        return Optional.ofNullable(programs.get(mode));
    }

    /** The single mode in use, if exactly one program is attached. */
    public Optional<XdpMode> mode() {
        return programs.size() == 1 ? Optional.of(programs.keySet().iterator().next()) : Optional.empty();
    }

    @Override
    public String toString() {
        return "XdpInfo[" + ifname + " #" + ifindex + " " + programs + "]";
    }
}
