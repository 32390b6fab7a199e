package io.lctserve.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar src/bench/target/lctserve-bench.jar run ...} */
@Command(
        name = "lctserve-bench",
        mixinStandardHelpOptions = true,
        description = "Load generator and in-process baseline for lctserve.",
        subcommands = {
            RunCommand.class,
            BaselineCommand.class,
            StageBatchesCommand.class,
            WrkBodiesCommand.class,
            OverloadCommand.class,
            GrpcLoadCommand.class,
            StreamCommand.class,
            DriftCommand.class,
            DigitsCommand.class,
            CommandLine.HelpCommand.class
        })
public final class BenchCli {

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new BenchCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 2;
        });
        int code = cli.execute(args);
        cli.getOut().flush();
        cli.getErr().flush();
        System.exit(code);
    }
}
