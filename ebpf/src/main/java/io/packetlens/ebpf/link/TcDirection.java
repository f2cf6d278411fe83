package io.packetlens.ebpf.link;

import io.packetlens.ebpf.AttachType;
import io.packetlens.ebpf.netlink.Rtnetlink;

/** The two TC hooks of an interface: tcx attach types BPF_TCX_INGRESS / BPF_TCX_EGRESS, or the clsact qdisc's two parents. */
public enum TcDirection {
    INGRESS(AttachType.TCX_INGRESS, Rtnetlink.TC_H_MIN_INGRESS),
    EGRESS(AttachType.TCX_EGRESS, Rtnetlink.TC_H_MIN_EGRESS);

    final AttachType tcx;
    final int clsactMinor;

    TcDirection(AttachType tcx, int clsactMinor) {
        this.tcx = tcx;
        this.clsactMinor = clsactMinor;
    }

    /** The clsact parent handle of this hook (ffff:fff2 or ffff:fff3). */
    int clsactParent() {
        return Rtnetlink.tcHandle(Rtnetlink.TC_H_CLSACT, clsactMinor);
    }
}
