package io.lctserve.trainer.cli;

import io.lctserve.core.data.FashionMnistSlices;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of the trainer's CLI in the test JVM, as a user would type it.
 *
 * @param exitCode the status the process would exit with
 */
record TrainerRun(int exitCode, String out, String err) {

    /** Commands that read images; the tests give them the shipped slices unless a test names its own data. */
    private static final List<String> READ_DATA = List.of("train", "evaluate", "calibrate", "export-submodel");

    static TrainerRun of(String... args) {
        List<String> line = new ArrayList<>(List.of(args));
        if (!line.isEmpty() && READ_DATA.contains(line.get(0)) && !line.contains("--data")) {
            line.addAll(List.of("--data", FashionMnistSlices.folder().toString()));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cli = TrainerCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(line.toArray(String[]::new));
        return new TrainerRun(code, out.toString(), err.toString());
    }
}
