package io.lctserve.trainer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar lctserve-trainer.jar train|evaluate ...} */
@Command(
        name = "lctserve-trainer",
        mixinStandardHelpOptions = true,
        version = "lctserve-trainer 0.1.0",
        description = "Trains staged networks by local critic training and exports them as staged ONNX models.",
        subcommands = {
            TrainCommand.class,
            EvaluateCommand.class,
            CalibrateCommand.class,
            RecordBaselineCommand.class,
            ExportSubmodelCommand.class,
            CommandLine.HelpCommand.class
        })
public final class TrainerCli {

    public static void main(String[] args) throws Exception {
        if (!NativeSettings.isSet()) {
            System.exit(NativeSettings.relaunch(TrainerCli.class, args));
        }
        CommandLine cli = commandLine();
        int code = cli.execute(args);
        cli.getOut().flush(); // print() does not flush an auto-flushing PrintWriter
        cli.getErr().flush();
        System.exit(code);
    }

    /** The CLI with lctserve's error handling: a clear one-line message and a non-zero exit. */
    public static CommandLine commandLine() {
        // DJL must never try the network: the PyTorch native library comes from the classpath.
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        CommandLine cli = new CommandLine(new TrainerCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + message(e));
            return 2;
        });
        return cli;
    }

    private static String message(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return n.getFile() + ": " + (n.getReason() == null ? "no such file" : n.getReason());
        }
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return a.getFile() + ": not writable (permission denied)";
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getFile() + ": " + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason());
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
