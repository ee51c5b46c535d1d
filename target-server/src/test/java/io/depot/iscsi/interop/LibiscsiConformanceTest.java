package io.depot.iscsi.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's conformance suite, the independent judge of the target: every family of
 * {@code iscsi-test-cu --dataloss} against a Depot LUN, with a second URL so the multipath tests
 * (two sessions on one LUN: resets, COMPARE AND WRITE races) run too. Zero failures allowed;
 * the tests the suite skips are printed with the suite's own reason.
 */
class LibiscsiConformanceTest {
    private static final Pattern SUMMARY = Pattern.compile("tests\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)");

    @TempDir Path dir;

    @Test
    void iscsiTestCuPassesEveryTest() throws Exception {
        ExternalTool.require("iscsi-test-cu", "libiscsi-bin");
        try (TargetFixture target = new TargetFixture(dir, 1L << 30, 0)) {
            String url = target.url(0);
            String out = ExternalTool.run(Duration.ofMinutes(10), "iscsi-test-cu", "--dataloss", url, url).output();
            Files.writeString(Path.of("target", "iscsi-test-cu.log"), out); // the whole run, for diagnosing a failure

            List<String> failed = new ArrayList<>();
            TreeSet<String> skipped = new TreeSet<>();
            String suite = "?";
            String test = "?";
            for (String line : out.split("\n")) {
                String l = line.strip();
                if (l.startsWith("Suite: ")) {
                    suite = l.substring(7).strip();
                } else if (l.startsWith("Test: ")) {
                    test = l.substring(6).replaceAll("\\s*\\.\\.\\..*", "").strip();
                }
                if (l.endsWith("FAILED") && !l.startsWith("[")) {
                    failed.add(suite + "." + test);
                }
                int s = l.indexOf("[SKIPPED]");
                if (s >= 0) {
                    skipped.add(suite + "." + test + ": " + l.substring(s + 9).strip());
                }
            }
            System.out.println("iscsi-test-cu skipped " + skipped.size() + " test(s):");
            skipped.forEach(s -> System.out.println("  " + s));

            Matcher m = SUMMARY.matcher(out);
            if (!m.find()) {
                fail("no CUnit run summary in the output of iscsi-test-cu:\n" + out);
            }
            int ran = Integer.parseInt(m.group(2));
            int failures = Integer.parseInt(m.group(4));
            System.out.println("iscsi-test-cu: ran " + ran + ", passed " + m.group(3) + ", failed " + failures);
            assertTrue(ran >= 600, "the suite ran only " + ran + " tests:\n" + out);
            assertEquals(List.of(), failed, "failed tests (see the output above for their assertions)");
            assertEquals(0, failures, out);

            // the read-only family needs a write-protected LU: a snapshot exported as LUN 1
            target.service.mapSnapshot(TargetFixture.IQN, 1, target.volume.createSnapshot("conformance-ro"));
            String ro = ExternalTool.run(Duration.ofMinutes(2), "iscsi-test-cu", "--dataloss", "--test=ALL.ReadOnly",
                    target.url(1)).output();
            Matcher r = SUMMARY.matcher(ro);
            assertTrue(r.find(), ro);
            assertTrue(Integer.parseInt(r.group(3)) >= 1 && Integer.parseInt(r.group(4)) == 0 && !ro.contains("[SKIPPED]"),
                    "the ReadOnly family against a snapshot LUN:\n" + ro);
        }
    }
}
