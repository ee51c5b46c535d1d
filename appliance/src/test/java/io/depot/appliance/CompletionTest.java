package io.depot.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code depot completion bash} gives a script bash accepts and that completes our commands and options. */
class CompletionTest {
    @Test
    void bashCompletesCommandsAndOptions(@TempDir Path dir) throws Exception {
        CommandLine cl = DepotCommand.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("completion", "bash"));
        Path script = Files.writeString(dir.resolve("depot-completion.bash"), out.toString());

        assertEquals("export", complete(script, "depot nfs ex"));
        assertEquals("import", complete(script, "depot nfs im"));
        assertEquals("--squash", complete(script, "depot nfs export create /d --sq"));
        assertEquals("--config", complete(script, "depot serve --conf"));
        assertEquals(1, DepotCommand.commandLine().execute("completion", "fish"), "an unsupported shell is a usage error");
    }

    /** What bash offers for the last word of {@code line}, with the generated script loaded. */
    private static String complete(Path script, String line) throws Exception {
        String[] words = line.split(" ");
        String program = "source " + script + "\n"
                + "COMP_WORDS=(" + line + "); COMP_CWORD=" + (words.length - 1) + "; COMP_LINE='" + line + "'; COMP_POINT="
                + line.length() + "\n_complete_depot depot '" + words[words.length - 1] + "' '" + words[words.length - 2] + "' 2>/dev/null  # compopt complains outside a real completion\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Process p = new ProcessBuilder("bash", "-c", program).redirectErrorStream(true).start();
        String result = new String(p.getInputStream().readAllBytes()).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), result);
        return result;
    }
}
