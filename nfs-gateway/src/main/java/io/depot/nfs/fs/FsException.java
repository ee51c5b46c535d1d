package io.depot.nfs.fs;

/**
 * A file-system operation refused. One subclass per outcome, so that the protocol layer maps each
 * to its wire status in one place (an exhaustive switch over this sealed type). Carries no stack
 * trace: these are answers, not bugs.
 */
public abstract sealed class FsException extends RuntimeException permits
        FsException.NoEntry,
        FsException.Exists,
        FsException.NotDirectory,
        FsException.IsDirectory,
        FsException.NotEmpty,
        FsException.AccessDenied,
        FsException.NotPermitted,
        FsException.Stale,
        FsException.NoSpace,
        FsException.NameTooLong,
        FsException.Invalid,
        FsException.CrossDevice,
        FsException.NotSupported,
        FsException.IoError,
        FsException.BadType,
        FsException.FileTooBig,
        FsException.ReadOnly,
        FsException.TooManyLinks,
        FsException.BadCookie,
        FsException.NotSync {

    private FsException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** No such file or directory. */
    public static final class NoEntry extends FsException {
        public NoEntry(String message) { super(message, null); }
        public NoEntry(String message, Throwable cause) { super(message, cause); }
    }

    /** The name exists. */
    public static final class Exists extends FsException {
        public Exists(String message) { super(message, null); }
        public Exists(String message, Throwable cause) { super(message, cause); }
    }

    /** Not a directory. */
    public static final class NotDirectory extends FsException {
        public NotDirectory(String message) { super(message, null); }
        public NotDirectory(String message, Throwable cause) { super(message, cause); }
    }

    /** Is a directory. */
    public static final class IsDirectory extends FsException {
        public IsDirectory(String message) { super(message, null); }
        public IsDirectory(String message, Throwable cause) { super(message, cause); }
    }

    /** Directory not empty. */
    public static final class NotEmpty extends FsException {
        public NotEmpty(String message) { super(message, null); }
        public NotEmpty(String message, Throwable cause) { super(message, cause); }
    }

    /** Permission denied by the mode bits. */
    public static final class AccessDenied extends FsException {
        public AccessDenied(String message) { super(message, null); }
        public AccessDenied(String message, Throwable cause) { super(message, cause); }
    }

    /** Operation allowed only to the owner or root. */
    public static final class NotPermitted extends FsException {
        public NotPermitted(String message) { super(message, null); }
        public NotPermitted(String message, Throwable cause) { super(message, cause); }
    }

    /** The object no longer exists. */
    public static final class Stale extends FsException {
        public Stale(String message) { super(message, null); }
        public Stale(String message, Throwable cause) { super(message, cause); }
    }

    /** The pool is out of space. */
    public static final class NoSpace extends FsException {
        public NoSpace(String message) { super(message, null); }
        public NoSpace(String message, Throwable cause) { super(message, cause); }
    }

    /** Name too long. */
    public static final class NameTooLong extends FsException {
        public NameTooLong(String message) { super(message, null); }
        public NameTooLong(String message, Throwable cause) { super(message, cause); }
    }

    /** Invalid argument. */
    public static final class Invalid extends FsException {
        public Invalid(String message) { super(message, null); }
        public Invalid(String message, Throwable cause) { super(message, cause); }
    }

    /** Across exports. */
    public static final class CrossDevice extends FsException {
        public CrossDevice(String message) { super(message, null); }
        public CrossDevice(String message, Throwable cause) { super(message, cause); }
    }

    /** Operation not supported. */
    public static final class NotSupported extends FsException {
        public NotSupported(String message) { super(message, null); }
        public NotSupported(String message, Throwable cause) { super(message, cause); }
    }

    /** I/O error. */
    public static final class IoError extends FsException {
        public IoError(String message) { super(message, null); }
        public IoError(String message, Throwable cause) { super(message, cause); }
    }

    /** Object type not supported here. */
    public static final class BadType extends FsException {
        public BadType(String message) { super(message, null); }
        public BadType(String message, Throwable cause) { super(message, cause); }
    }

    /** File too big. */
    public static final class FileTooBig extends FsException {
        public FileTooBig(String message) { super(message, null); }
        public FileTooBig(String message, Throwable cause) { super(message, cause); }
    }

    /** Read-only export. */
    public static final class ReadOnly extends FsException {
        public ReadOnly(String message) { super(message, null); }
        public ReadOnly(String message, Throwable cause) { super(message, cause); }
    }

    /** Too many links. */
    public static final class TooManyLinks extends FsException {
        public TooManyLinks(String message) { super(message, null); }
        public TooManyLinks(String message, Throwable cause) { super(message, cause); }
    }

    /** Directory cookie no longer valid. */
    public static final class BadCookie extends FsException {
        public BadCookie(String message) { super(message, null); }
        public BadCookie(String message, Throwable cause) { super(message, cause); }
    }

    /** The guard's ctime does not match. */
    public static final class NotSync extends FsException {
        public NotSync(String message) { super(message, null); }
        public NotSync(String message, Throwable cause) { super(message, cause); }
    }
}
