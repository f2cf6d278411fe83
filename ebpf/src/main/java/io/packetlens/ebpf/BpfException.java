package io.packetlens.ebpf;


/**
 * A failed kernel operation of the eBPF library: names the operation, the errno the kernel
 * returned (0 when the failure was found in user space) and what to do about it.
 * Subclasses distinguish the failures callers commonly handle differently.
 */
public class BpfException extends RuntimeException {
    private final int errno;

    public BpfException(String message) {
        this(message, 0, null);
    }

    public BpfException(String message, Throwable cause) {
        this(message, 0, cause);
    }

    /** A failure with the kernel's errno whose message already says what went wrong (no typed subclass applies). */
    public BpfException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /** The kernel's errno for this failure, or 0 if it was detected in user space. */
    public int errno() {
        return errno;
    }

    /** Builds the most specific exception for an errno returned by {@code operation}. */
    public static BpfException of(String operation, int errno) {
        String text = operation + ": " + Errno.describe(errno);
        return switch (errno) {
            case Errno.EPERM, Errno.EACCES -> new PermissionException(text + ". " + Errno.privilegeHint(), errno);
            case Errno.ENOENT -> new NotFoundException(text, errno);
            case Errno.EEXIST -> new AlreadyExistsException(text, errno);
            case Errno.E2BIG, Errno.ENOSPC -> new NoSpaceException(text, errno);
            default -> new BpfException(text, errno, null);
        };
    }

    /** Missing privilege: the message says which capability is needed. */
    public static final class PermissionException extends BpfException {
        PermissionException(String message, int errno) {
            super(message, errno, null);
        }
    }

    /** The key, object, path or name does not exist (ENOENT, or a name unknown to the object). */
    public static final class NotFoundException extends BpfException {
        public NotFoundException(String message) {
            super(message, Errno.ENOENT, null);
        }

        NotFoundException(String message, int errno) {
            super(message, errno, null);
        }
    }

    /** The key or object already exists (EEXIST), e.g. an update with NOEXIST. */
    public static final class AlreadyExistsException extends BpfException {
        AlreadyExistsException(String message, int errno) {
            super(message, errno, null);
        }
    }

    /** A map is full (E2BIG) or out of space (ENOSPC). */
    public static final class NoSpaceException extends BpfException {
        NoSpaceException(String message, int errno) {
            super(message, errno, null);
        }
    }
}
