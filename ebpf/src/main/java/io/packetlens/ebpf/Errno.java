package io.packetlens.ebpf;

/** Linux errno values the library meets, with names and advice for the common ones. */
public final class Errno {
    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
            EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
            ENODEV = 19, ENOTDIR = 20, EINVAL = 22, ENOSPC = 28, ERANGE = 34, ENOSYS = 38,
            ENOTSUP = 95, EOPNOTSUPP = 95, ENOBUFS = 105, ETIMEDOUT = 110, ENOTSUPP = 524;

    private Errno() {}

    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM"; case ENOENT -> "ENOENT"; case ESRCH -> "ESRCH"; case EINTR -> "EINTR";
            case EIO -> "EIO"; case ENXIO -> "ENXIO"; case E2BIG -> "E2BIG"; case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN"; case ENOMEM -> "ENOMEM"; case EACCES -> "EACCES"; case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY"; case EEXIST -> "EEXIST"; case ENODEV -> "ENODEV"; case ENOTDIR -> "ENOTDIR";
            case EINVAL -> "EINVAL"; case ENOSPC -> "ENOSPC"; case ERANGE -> "ERANGE"; case ENOSYS -> "ENOSYS";
            case EOPNOTSUPP -> "EOPNOTSUPP"; case ENOBUFS -> "ENOBUFS"; case ETIMEDOUT -> "ETIMEDOUT";
            case ENOTSUPP -> "ENOTSUPP";
            default -> "errno " + errno;
        };
    }

    /** Name plus a short explanation in the context of bpf(2). */
    public static String describe(int errno) {
        String why = switch (errno) {
            case EPERM, EACCES -> "operation not permitted";
            case ENOENT -> "no such entry, object or file";
            case E2BIG -> "too big (map full, or a size over the kernel's limit)";
            case ENOSPC -> "no space left (map full?)";
            case EEXIST -> "already exists";
            case EINVAL -> "invalid argument (wrong size, flags or type for this kernel?)";
            case EBADF -> "bad file descriptor";
            case ENOMEM -> "out of memory (memory cgroup or RLIMIT_MEMLOCK?)";
            case EBUSY -> "busy (already attached?)";
            case ENODEV -> "no such device";
            case EOPNOTSUPP, ENOTSUPP -> "not supported by this kernel or driver";
            case EFAULT -> "bad address";
            default -> "failed";
        };
        return name(errno) + " (" + why + ")";
    }

    /** What to do about EPERM from bpf(2): the capabilities involved. */
    public static String privilegeHint() {
        return "bpf() needs root, or CAP_BPF (plus CAP_NET_ADMIN for network programs and attach, CAP_PERFMON for tracing and perf events); "
                + "this kernel has unprivileged BPF disabled (kernel.unprivileged_bpf_disabled)";
    }
}
