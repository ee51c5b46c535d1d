package io.depot.appliance.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code depot completion bash}: prints a completion script for every command and option (picocli's
 * generator; zsh loads it too after {@code autoload -U bashcompinit && bashcompinit}).
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script.", "",
                "  source <(depot completion bash)                          # this shell",
                "  depot completion bash > /etc/bash_completion.d/depot     # every shell"})
public final class CompletionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", defaultValue = "bash", description = "bash (also for zsh with bashcompinit).")
    String shell;

    @Override
    public Integer call() {
        if (!shell.equals("bash") && !shell.equals("zsh")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "only bash (and zsh through bashcompinit) is supported, not " + shell);
        }
        CommandLine root = spec.root().commandLine();
        spec.commandLine().getOut().print(AutoComplete.bash(root.getCommandName(), root));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
