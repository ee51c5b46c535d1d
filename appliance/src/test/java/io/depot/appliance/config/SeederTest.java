package io.depot.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.engine.Pool;
import io.depot.engine.PoolOptions;
import io.depot.iscsi.IscsiService;
import io.depot.iscsi.config.TargetSpec;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seeds on a real pool: made when absent with everything the file says, left alone when present, refusals name their key. */
class SeederTest {
    private static DepotConfig config(String yaml) throws Exception {
        return ConfigLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "seed.yaml");
    }

    private static final String FILE = """
            volumes:
              - {name: vm1, size: 8M}
              - {name: vm2, size: 4M}
            iscsi:
              targets:
                - name: iqn.2025-01.test:t1
                  alias: one
                  luns:
                    - {lun: 0, volume: vm1}
                    - {lun: 1, volume: vm2}
                  initiators: [iqn.2025-01.test:host]
                  chap: {user: u, secret: twelve-bytes-at-least, mutual-user: m, mutual-secret: another-twelve-bytes}
            """;

    @Test
    void seedsAreMadeOnceAndThePoolsStateWins(@TempDir Path dir) throws Exception {
        DepotConfig c = config(FILE);
        try (Pool pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(64L << 20))) {
            Seeder.volumes(pool, c.volumes());
            IscsiService iscsi = new IscsiService(pool);
            Seeder.targets(pool, iscsi, c.iscsi().targets());
            TargetSpec t = iscsi.target("iqn.2025-01.test:t1");
            assertEquals("one", t.alias());
            assertEquals(2, t.luns().size());
            assertEquals(pool.volume("vm2").uuid(), t.luns().get(1).volume());
            assertEquals(List.of("iqn.2025-01.test:host"), t.allowedInitiators());
            assertEquals("u", t.chap().user());
            assertEquals("m", t.mutualChap().user());

            // changed through the API, then a second start on the same file: nothing is redone or undone
            pool.volume("vm1").grow(16L << 20);
            iscsi.setAllowedInitiators(t.name(), List.of());
            iscsi.unmapLun(t.name(), 1);
            Seeder.volumes(pool, c.volumes());
            Seeder.targets(pool, iscsi, c.iscsi().targets());
            assertEquals(16L << 20, pool.volume("vm1").sizeBytes());
            TargetSpec after = iscsi.target(t.name());
            assertEquals(List.of(), after.allowedInitiators());
            assertEquals(1, after.luns().size());
            assertNull(after.luns().get(0).snapshot());
            iscsi.close();
        }
    }

    @Test
    void aSeedThePoolRefusesNamesItsKey(@TempDir Path dir) throws Exception {
        try (Pool pool = Pool.create(dir.resolve("pool"), PoolOptions.ofCapacity(64L << 20))) {
            IscsiService iscsi = new IscsiService(pool);
            String missing = assertThrows(ConfigException.class, () -> Seeder.targets(pool, iscsi, config("""
                    iscsi:
                      targets:
                        - name: iqn.2025-01.test:t2
                          luns: [{lun: 3, volume: ghost}]
                    """).iscsi().targets())).getMessage();
            assertEquals("config: iscsi.targets[0] (iqn.2025-01.test:t2).luns[0]: no volume named ghost (list it under volumes:, "
                    + "or create it with 'depot volume create')", missing);
            assertTrue(iscsi.targets().isEmpty(), "nothing half-made");

            pool.createVolume("v", 1 << 20);
            String snap = assertThrows(ConfigException.class, () -> Seeder.targets(pool, iscsi, config("""
                    iscsi:
                      targets:
                        - name: iqn.2025-01.test:t3
                          luns: [{lun: 0, volume: v@nightly}]
                    """).iscsi().targets())).getMessage();
            assertTrue(snap.contains("iscsi.targets[0] (iqn.2025-01.test:t3).luns[0]: volume v has no snapshot nightly"), snap);

            String iqn = assertThrows(ConfigException.class, () -> Seeder.targets(pool, iscsi, config("""
                    iscsi:
                      targets:
                        - name: not-an-iqn
                    """).iscsi().targets())).getMessage();
            assertTrue(iqn.startsWith("config: iscsi.targets[0] (not-an-iqn): 'not-an-iqn' is not a valid iSCSI name"), iqn);

            // a refusal after the target was made (CHAP secret too short for RFC 7143) takes the target back
            String chap = assertThrows(ConfigException.class, () -> Seeder.targets(pool, iscsi, config("""
                    iscsi:
                      targets:
                        - name: iqn.2025-01.test:t4
                          luns: [{lun: 0, volume: v}]
                          chap: {user: u, secret: ""}
                    """).iscsi().targets())).getMessage();
            assertTrue(chap.startsWith("config: iscsi.targets[0] (iqn.2025-01.test:t4): "), chap);
            assertTrue(iscsi.targets().isEmpty(), "the half-made target is deleted: " + iscsi.targets());

            String vol = assertThrows(ConfigException.class, () -> Seeder.volumes(pool, config("""
                    volumes:
                      - {name: huge, size: 100T}
                    """).volumes())).getMessage();
            assertTrue(vol.startsWith("config: volumes[0] (huge): cannot create it: "), vol);
            iscsi.close();
        }
    }
}
