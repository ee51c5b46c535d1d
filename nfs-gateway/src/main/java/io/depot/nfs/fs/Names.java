package io.depot.nfs.fs;

import java.nio.charset.StandardCharsets;

/** The rules a single path component must follow, checked before anything is looked up. */
final class Names {
    private Names() {}

    /** At most {@link Datastore#MAX_NAME_BYTES} bytes, no '/' or NUL. */
    static void check(String name) {
        if (name == null || name.isEmpty()) {
            throw new FsException.NoEntry("empty name");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > Datastore.MAX_NAME_BYTES) {
            throw new FsException.NameTooLong("name of more than " + Datastore.MAX_NAME_BYTES + " bytes");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new FsException.Invalid("a name cannot hold '/' or NUL");
        }
    }

    /** For a name to be created: also not "." or "..". */
    static void checkNew(String name) {
        check(name);
        if (name.equals(".") || name.equals("..")) {
            throw new FsException.Exists("'" + name + "' always exists");
        }
    }

    /** For a non-directory entry to be removed. */
    static void checkRemovable(String name) {
        if (name.equals(".") || name.equals("..")) {
            throw new FsException.Invalid("cannot remove '" + name + "'");
        }
        check(name);
    }
}
