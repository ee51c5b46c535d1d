package io.depot.nfs.nfs3;

import io.depot.engine.CatalogNamespace;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An NFSv3 file handle: format byte, export id, object number, generation, and an 8-byte MAC
 * (HMAC-SHA256 under a per-datastore key) over the rest (25 bytes). Derived from stored values
 * only, so it stays valid across restarts. The MAC ties a handle to the export it was issued
 * for: a client cannot reach an object outside its export by rewriting the export id of a
 * handle, nor guess one (see docs/nfs.md, "Handles").
 */
record FileHandle(int exportId, long ino, int generation) {
    private static final byte FORMAT = 2;
    static final int LENGTH = 25;
    private static final int BODY = 17;
    /** Where the key lives in the catalog namespace {@value io.depot.nfs.fs.NamespaceKeys#NAMESPACE}. */
    private static final String KEY = "handle-key";

    /** Signs and checks handles with the datastore's key, made on first use. */
    static final class Codec {
        private final SecretKeySpec key;
        /**
         * Initialised MACs not in use. Calls run on virtual threads, one per call, so a
         * ThreadLocal would make (and key) a new Mac on every call; a pool reuses them.
         */
        private final ConcurrentLinkedQueue<Mac> idle = new ConcurrentLinkedQueue<>();

        Codec(CatalogNamespace<byte[]> records) {
            byte[] k = records.get(KEY);
            if (k == null) {
                k = new byte[32];
                new SecureRandom().nextBytes(k);
                records.put(KEY, k);
            }
            key = new SecretKeySpec(k, "HmacSHA256");
        }

        private Mac newMac() {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
            }
        }

        private byte[] mac(byte[] body) {
            Mac m = idle.poll();
            if (m == null) {
                m = newMac();
            }
            m.update(body, 0, BODY);
            byte[] full = m.doFinal(); // also resets m for its next user
            idle.offer(m);
            byte[] out = new byte[8];
            System.arraycopy(full, 0, out, 0, 8);
            return out;
        }

        byte[] encode(FileHandle h) {
            ByteBuffer b = ByteBuffer.allocate(LENGTH).put(FORMAT).putInt(h.exportId()).putLong(h.ino()).putInt(h.generation());
            b.put(mac(b.array()));
            return b.array();
        }

        /** The handle in {@code bytes}, or null when they are not one we issued (NFS3ERR_BADHANDLE). */
        FileHandle decode(byte[] bytes) {
            if (bytes.length != LENGTH || bytes[0] != FORMAT) {
                return null;
            }
            byte[] expected = mac(bytes);
            byte[] got = new byte[8];
            System.arraycopy(bytes, BODY, got, 0, 8);
            if (!MessageDigest.isEqual(expected, got)) {
                return null;
            }
            ByteBuffer b = ByteBuffer.wrap(bytes, 1, BODY - 1);
            return new FileHandle(b.getInt(), b.getLong(), b.getInt());
        }
    }
}
