package io.depot.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.depot.appliance.config.DepotConfig.TargetSeed;
import io.depot.nfs.nfs3.ClientRule;
import io.depot.nfs.nfs3.NfsExport;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The YAML file: the sample in deploy/ loads, defaults fill what is absent, and mistakes name their line and key. */
class ConfigLoaderTest {
    private static DepotConfig read(String yaml) throws IOException {
        return ConfigLoader.read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> read(yaml)).getMessage();
    }

    @Test
    void theSampleInDeployLoads() {
        DepotConfig c = ConfigLoader.load(Path.of("..", "deploy", "depot.yaml"));
        assertEquals(Path.of("/var/lib/depot"), c.dataDir());
        assertEquals(500L << 30, c.pool().capacity().bytes());
        assertEquals(65536, c.pool().clusterSizeOrDefault());
        assertEquals("0.0.0.0:3260", c.listen().iscsi().toString());
        assertEquals(2049, c.listen().nfs().port());
        assertNull(c.listen().nfs().host());
        assertEquals("127.0.0.1", c.listen().api().host());
        assertEquals(8421, c.listen().api().port());
        assertNull(c.tls());
        assertEquals(List.of("vm1", "templates"), c.volumes().stream().map(DepotConfig.VolumeSeed::name).toList());
        assertEquals(20L << 30, c.volumes().get(0).size().bytes());
        TargetSeed t = c.iscsi().targets().get(0);
        assertEquals("iqn.2025-01.lan.depot:vm1", t.name());
        assertEquals(0L, t.luns().get(0).lun());
        assertEquals("vm1", t.luns().get(0).volumeName());
        assertEquals(2, t.initiators().size());
        assertEquals("pve", t.chap().user());
        NfsExport depot = c.nfs().exports().get(0).toExport();
        assertEquals("/depot", depot.path());
        assertEquals(List.of(ClientRule.rw("192.168.10.0/24"), ClientRule.ro("*")), depot.rules());
        assertEquals(NfsExport.Squash.NONE, depot.squash());
        NfsExport iso = c.nfs().exports().get(1).toExport();
        assertEquals(NfsExport.Squash.ALL, iso.squash());
        assertEquals(65534, iso.anonUid());
    }

    @Test
    void theContainersConfigurationLoads() {
        DepotConfig c = ConfigLoader.load(Path.of("..", "deploy", "depot.container.yaml"));
        assertEquals(Path.of("/var/lib/depot"), c.dataDir());
        assertEquals(1111, c.listen().portmapper().port());
        assertEquals("0.0.0.0:8421", c.listen().api().toString());
        assertEquals(List.of("/depot"), c.nfs().exports().stream().map(DepotConfig.ExportSeed::path).toList());
    }

    @Test
    void anEmptyFileIsTheEmbeddedDefault() throws IOException {
        DepotConfig c = read("# nothing here\n");
        assertEquals(DepotConfig.defaults(), c);
        assertEquals(Path.of("data"), c.dataDir());
        assertEquals("127.0.0.1:8421", c.listen().api().toString());
        assertEquals(111, c.listen().portmapper().port());
        assertNull(c.nfs().exports());
    }

    @Test
    void offAndPortZeroAndIpv6Listeners() throws IOException {
        DepotConfig c = read("listen:\n  iscsi: off\n  nfs: 0\n  api: '[::1]:0'\n");
        assertTrue(c.listen().iscsi().off());
        assertEquals(0, c.listen().nfs().port());
        assertEquals("::1", c.listen().api().host());
    }

    @Test
    void anUnknownKeyIsNamedWithItsLineAndTheKnownKeys() {
        String m = error("data-dir: /tmp/x\npool:\n  capacity: 1G\n  capcity: 2G\n");
        assertTrue(m.startsWith("test.yaml line 4: pool.capcity: unknown key"), m);
        assertTrue(m.contains("capacity, cluster-size, data-path"), m);
    }

    @Test
    void badValuesNameTheirKeyAndLine() {
        String size = error("volumes:\n  - name: a\n    size: 20G\n  - name: b\n    size: twenty\n");
        assertTrue(size.startsWith("test.yaml line 5: volumes[1].size: not a size: 'twenty'"), size);

        String port = error("listen:\n  api: 127.0.0.1:99999\n");
        assertTrue(port.startsWith("test.yaml line 2: listen.api: expected host:port, a port, or off"), port);

        String cluster = error("pool:\n  cluster-size: 3000\n");
        assertTrue(cluster.startsWith("test.yaml line 1: pool: cluster-size must be a power of two"), cluster);

        String rule = error("nfs:\n  exports:\n    - path: /d\n      clients: ['10.0.0.0/8(rx)']\n");
        assertTrue(rule.contains("nfs.exports[0]") && rule.contains("access must be ro or rw"), rule);

        String squash = error("nfs:\n  exports:\n    - path: /d\n      squash: some\n");
        assertTrue(squash.contains("squash must be none, root or all"), squash);

        String lun = error("iscsi:\n  targets:\n    - name: iqn.2025-01.x:y\n      luns:\n        - lun: 70000\n          volume: v\n");
        assertTrue(lun.contains("iscsi.targets[0].luns[0]") && lun.contains("0 to 16383"), lun);

        String noSize = error("volumes:\n  - name: a\n");
        assertTrue(noSize.contains("volumes[0]") && noSize.contains("needs a size"), noSize);

        String tls = error("tls:\n  certificate: /a.crt\n");
        assertTrue(tls.startsWith("test.yaml line ") && tls.contains("tls: certificate and key go together"), tls);
    }

    @Test
    void wrongShapesAndBrokenYamlAreExplained() {
        String list = error("volumes:\n  name: a\n");
        assertTrue(list.startsWith("test.yaml line 1: volumes: expected a list"), list);

        String map = error("pool: big\n");
        assertTrue(map.startsWith("test.yaml line 1: pool: expected a mapping"), map);

        String yaml = error("pool:\n  capacity: 1G\n   cluster-size: 4K\n");
        assertTrue(yaml.startsWith("test.yaml line 3: not valid YAML"), yaml);
    }

    @Test
    void aMissingFileSaysSo() {
        String m = assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("/nonexistent/depot.yaml"))).getMessage();
        assertEquals("configuration file /nonexistent/depot.yaml does not exist", m);
    }
}
