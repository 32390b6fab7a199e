package io.lctserve.trainer.cli;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.trainer.evaluation.ExitAnalysis;
import io.lctserve.trainer.evaluation.ModelEvaluation;
import io.lctserve.trainer.evaluation.Report;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description = "Per-head accuracy, ensemble accuracy and the early-exit curve of a staged model on the test set,"
                + " run in ONNX Runtime.")
final class EvaluateCommand implements Callable<Integer> {

    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR",
            description = "Model folder (models/<name>/<version>).")
    Path model;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(names = "--report", paramLabel = "DIR", description = "Also write REPORT.md and PNG plots into DIR.")
    Path report;

    @Option(
            names = "--backprop-reference",
            paramLabel = "DIR",
            description =
                    "Model folder of the same network trained with --mode backprop, shown beside it in the report.")
    Path backpropReference;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        StagedModel staged = ModelFolder.load(model);
        ImageSet test = IdxDataset.test(data.data);
        int classes = staged.manifest().labels().size();
        int maxLabel = java.util.Arrays.stream(test.labels()).max().orElse(0);
        if (maxLabel >= classes) {
            throw new IllegalArgumentException("the test data has label " + maxLabel + " but model "
                    + staged.manifest().name() + " knows " + classes + " classes");
        }
        long[] shape = staged.manifest().input().shape().stream()
                .mapToLong(Long::longValue)
                .toArray();
        if (shape[1] != 1 || shape[2] != test.rows() || shape[3] != test.cols()) {
            throw new IllegalArgumentException(
                    "the test images are 1x" + test.rows() + "x" + test.cols() + " but the model takes "
                            + staged.manifest().input().shape().subList(1, 4));
        }
        ExitAnalysis analysis = ModelEvaluation.analyze(staged, test);
        PrintWriter out = spec.commandLine().getOut();
        out.print(ModelEvaluation.report(analysis, staged.manifest().presets()));
        if (report != null) {
            Manifest baseline = backpropReference == null ? null : BackpropBaseline.load(backpropReference);
            Report.write(report, staged.manifest(), analysis, baseline);
            out.println("wrote " + report.resolve("REPORT.md") + " and its plots");
        }
        return 0;
    }
}
