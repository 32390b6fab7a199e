package io.lctserve.trainer.cli;

import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.model.ModelFolder;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "record-baseline",
        mixinStandardHelpOptions = true,
        description = "Writes the main-head test accuracy of a backprop-trained model of the same architecture and"
                + " epochs into a model's manifest as evaluation.backpropAccuracy (for runs trained side by side).")
final class RecordBaselineCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder to update.")
    Path model;

    @Option(
            names = "--backprop-reference",
            required = true,
            paramLabel = "DIR",
            description = "Model folder trained with --mode backprop.")
    Path reference;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Manifest manifest = ModelFolder.load(model).manifest();
        Manifest baseline = BackpropBaseline.load(reference);
        BackpropBaseline.requireComparable(manifest.training(), baseline, reference);
        var e = manifest.evaluation();
        if (e == null) {
            throw new IllegalArgumentException(model + " has no evaluation to add the baseline to");
        }
        double accuracy = BackpropBaseline.mainAccuracy(baseline);
        Manifest updated = manifest.withEvaluation(e.withBackpropAccuracy(accuracy));
        ModelFolder.validate(model, updated);
        ManifestJson.write(updated, model.resolve(ModelFolder.MANIFEST_FILE));
        spec.commandLine()
                .getOut()
                .printf(
                        "%s: backpropAccuracy %.4f (main head %.4f)%n",
                        model, accuracy, manifest.evaluation().headAccuracy().get(manifest.exitCount() - 1));
        return 0;
    }
}
