package io.depot.appliance.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.depot.appliance.Sizes;
import io.depot.nfs.nfs3.NfsExport;
import java.nio.file.Path;
import java.util.List;

/**
 * The shape of {@code depot.yaml} (keys in kebab-case; every key optional). Values are checked as
 * they are read, so a bad one is reported with its line ({@link ConfigLoader}); {@link #defaults()}
 * is the embedded default that needs no file. See docs/appliance.md, "Configuration file".
 *
 * @param dataDir where the pool, the API token and the runtime file live
 * @param pool    how a new pool is made (ignored once it exists)
 * @param listen  the three listeners
 * @param tls     the API's certificate; null: plain HTTP
 * @param volumes volumes to create when absent
 * @param iscsi   iSCSI targets to create when absent
 * @param nfs     NFS exports to create when absent
 */
public record DepotConfig(Path dataDir, PoolConfig pool, ListenConfig listen, TlsConfig tls, List<VolumeSeed> volumes,
                          IscsiConfig iscsi, NfsConfig nfs) {
    public DepotConfig {
        dataDir = dataDir == null ? Path.of("data") : dataDir;
        pool = pool == null ? new PoolConfig(null, null, null) : pool;
        listen = listen == null ? new ListenConfig(null, null, null, null) : listen;
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        iscsi = iscsi == null ? new IscsiConfig(null) : iscsi;
        nfs = nfs == null ? new NfsConfig(null) : nfs;
    }

    /** No file at all: a pool under ./data, the default ports, nothing seeded but the NFS export /depot. */
    public static DepotConfig defaults() {
        return new DepotConfig(null, null, null, null, null, null, null);
    }

    public DepotConfig withDataDir(Path d) { return new DepotConfig(d, pool, listen, tls, volumes, iscsi, nfs); }

    public DepotConfig withPool(PoolConfig p) { return new DepotConfig(dataDir, p, listen, tls, volumes, iscsi, nfs); }

    public DepotConfig withListen(ListenConfig l) { return new DepotConfig(dataDir, pool, l, tls, volumes, iscsi, nfs); }

    public DepotConfig withTls(TlsConfig t) { return new DepotConfig(dataDir, pool, listen, t, volumes, iscsi, nfs); }

    /**
     * @param capacity    capacity of a new pool; null: the free space of the file system (or the device's size)
     * @param clusterSize cluster size of a new pool; null: 64 KiB
     * @param dataPath    a file or raw block device for the payload; null: a sparse file inside {@code <data-dir>/pool}
     */
    public record PoolConfig(ByteSize capacity, ByteSize clusterSize, Path dataPath) {
        public PoolConfig {
            if (clusterSize != null) {
                long c = clusterSize.bytes();
                if (c < 4096 || c > (1 << 20) || Long.bitCount(c) != 1) {
                    throw new IllegalArgumentException("cluster-size must be a power of two from 4K to 1M, got " + clusterSize);
                }
            }
        }

        public int clusterSizeOrDefault() {
            return clusterSize == null ? io.depot.engine.PoolOptions.DEFAULT_CLUSTER_SIZE : (int) clusterSize.bytes();
        }
    }

    /**
     * @param iscsi      the iSCSI portal, default 0.0.0.0:3260
     * @param nfs        NFS and MOUNT (one port), default port 2049 on every address
     * @param portmapper where the embedded portmapper listens when the port is free, default 111
     * @param api        the HTTP API, default 127.0.0.1:8421 (this host only)
     */
    public record ListenConfig(Endpoint iscsi, Endpoint nfs, Endpoint portmapper, Endpoint api) {
        public ListenConfig {
            iscsi = iscsi == null ? Endpoint.parse("0.0.0.0:3260") : iscsi;
            nfs = nfs == null ? Endpoint.parse("2049") : nfs;
            portmapper = portmapper == null ? Endpoint.parse("111") : portmapper;
            api = api == null ? Endpoint.parse("127.0.0.1:8421") : api;
        }
    }

    /**
     * The API's TLS identity: a PEM certificate chain and its PEM (PKCS#8) private key, or a PKCS#12
     * keystore. A password file is read rather than a password written in the YAML.
     */
    public record TlsConfig(Path certificate, Path key, Path keystore, String keystorePassword, Path keystorePasswordFile) {
        public TlsConfig {
            boolean pem = certificate != null || key != null;
            if (pem && keystore != null) {
                throw new IllegalArgumentException("give either certificate and key (PEM) or keystore (PKCS#12), not both");
            }
            if (pem && (certificate == null || key == null)) {
                throw new IllegalArgumentException("certificate and key go together");
            }
            if (!pem && keystore == null) {
                throw new IllegalArgumentException("give certificate and key (PEM), or keystore (PKCS#12)");
            }
            if (keystorePassword != null && keystorePasswordFile != null) {
                throw new IllegalArgumentException("give keystore-password or keystore-password-file, not both");
            }
        }
    }

    /** A volume made (thin) when the pool has none of that name. */
    public record VolumeSeed(String name, ByteSize size) {
        public VolumeSeed {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a volume needs a name");
            }
            if (size == null) {
                throw new IllegalArgumentException("volume " + name + " needs a size, e.g. size: 20G");
            }
        }
    }

    public record IscsiConfig(List<TargetSeed> targets) {
        public IscsiConfig {
            targets = targets == null ? List.of() : List.copyOf(targets);
        }
    }

    /**
     * A target made, with its LUNs, ACL and CHAP, when the pool has no target of that name.
     *
     * @param initiators the initiator names allowed to log in; empty: anyone
     */
    public record TargetSeed(String name, String alias, List<LunSeed> luns, List<String> initiators, ChapSeed chap) {
        public TargetSeed {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a target needs a name (iqn.YYYY-MM.reversed.domain:id)");
            }
            luns = luns == null ? List.of() : List.copyOf(luns);
            initiators = initiators == null ? List.of() : List.copyOf(initiators);
        }
    }

    /** {@code volume}: "vm1" (read-write) or "vm1@snap" (that snapshot, read-only). */
    public record LunSeed(Long lun, String volume) {
        public LunSeed {
            if (lun == null || lun < 0 || lun > 16383) {
                throw new IllegalArgumentException("lun must be a number from 0 to 16383, got " + lun);
            }
            if (volume == null || volume.isBlank() || volume.startsWith("@") || volume.endsWith("@")) {
                throw new IllegalArgumentException("lun " + lun + " needs volume: NAME or NAME@SNAPSHOT");
            }
        }

        public String volumeName() { return volume.contains("@") ? volume.substring(0, volume.indexOf('@')) : volume; }

        public String snapshotName() { return volume.contains("@") ? volume.substring(volume.indexOf('@') + 1) : null; }
    }

    public record ChapSeed(String user, String secret, String mutualUser, String mutualSecret) {
        public ChapSeed {
            if (user == null || secret == null) {
                throw new IllegalArgumentException("chap needs user and secret");
            }
            if ((mutualUser == null) != (mutualSecret == null)) {
                throw new IllegalArgumentException("give both mutual-user and mutual-secret, or neither");
            }
        }
    }

    /** Null exports: the one default export "/depot" for everyone. */
    public record NfsConfig(List<ExportSeed> exports) {
        public NfsConfig {
            exports = exports == null ? null : List.copyOf(exports);
        }
    }

    /**
     * @param clients exports(5)-style rules, first match wins: "10.0.0.0/8(rw)", "host1(ro)", "*"; empty: everyone read-write
     * @param squash  none (default: hypervisors write as root), root, or all
     */
    public record ExportSeed(String path, List<String> clients, String squash, Long anonUid, Long anonGid) {
        public ExportSeed {
            if (path == null || !path.startsWith("/")) {
                throw new IllegalArgumentException("an export needs a path starting with '/', got " + path);
            }
            clients = clients == null ? List.of() : List.copyOf(clients);
            ExportRules.rules(clients);
            ExportRules.squash(squash);
            if (anonUid != null) {
                ExportRules.id(anonUid, "anon-uid");
            }
            if (anonGid != null) {
                ExportRules.id(anonGid, "anon-gid");
            }
        }

        public NfsExport toExport() {
            return new NfsExport(path, ExportRules.rules(clients), ExportRules.squash(squash),
                    anonUid == null ? NfsExport.NOBODY : (int) (long) anonUid, anonGid == null ? NfsExport.NOBODY : (int) (long) anonGid);
        }
    }

    /** A byte count written as 4096 or 20G (binary units). */
    public record ByteSize(long bytes, String text) {
        @JsonCreator
        public static ByteSize parse(String text) {
            return new ByteSize(Sizes.parse(text), text.trim());
        }

        @JsonCreator
        public static ByteSize of(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("a size cannot be negative: " + bytes);
            }
            return new ByteSize(bytes, Long.toString(bytes));
        }

        @JsonValue
        @Override
        public String toString() { return text; }
    }
}
