package io.lctserve.trainer.cli;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.trainer.evaluation.ExitAnalysis;
import io.lctserve.trainer.evaluation.ModelEvaluation;
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

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        StagedModel staged = ModelFolder.load(model);
        ImageSet test = IdxDataset.test(data.data);
        ExitAnalysis analysis = ModelEvaluation.analyze(staged, test);
        spec.commandLine()
                .getOut()
                .print(ModelEvaluation.report(analysis, staged.manifest().presets()));
        return 0;
    }
}
