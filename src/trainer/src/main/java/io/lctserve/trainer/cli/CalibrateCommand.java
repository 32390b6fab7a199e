package io.lctserve.trainer.cli;

import io.lctserve.core.data.ImageSet;
import io.lctserve.core.exit.ExitAnalysis;
import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.manifest.Preset;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import io.lctserve.trainer.evaluation.ModelEvaluation;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "calibrate",
        mixinStandardHelpOptions = true,
        description = "Recalibrates a trained model's presets (every rule, every accuracy budget) on the validation"
                + " split it was trained beside, measures them on the test set and rewrites manifest.json's presets.")
final class CalibrateCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder to update.")
    Path model;

    @Mixin
    DataOptions data = new DataOptions();

    @Option(
            names = "--validation",
            description = "Images at the end of the training data that were held out from training. Default: the"
                    + " manifest's training.validationImages")
    Integer validationSize;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        StagedModel staged = ModelFolder.load(model);
        Manifest m = staged.manifest();
        int held = validationSize != null ? validationSize : recordedValidationSize(m);
        ImageSet validation = data.validation(m, held, spec.commandLine().getErr());
        ImageSet test = data.test(m, 0, spec.commandLine().getErr());
        ExitAnalysis onValidation = ModelEvaluation.analyze(staged, validation);
        ExitAnalysis onTest = ModelEvaluation.analyze(staged, test);
        Map<String, Preset> presets = ModelEvaluation.presets(onValidation, onTest);
        Manifest updated = m.withPresets(presets);
        ModelFolder.validate(model, updated);
        ManifestJson.write(updated, model.resolve(ModelFolder.MANIFEST_FILE));
        spec.commandLine().getOut().print(ModelEvaluation.report(onTest, presets));
        spec.commandLine()
                .getOut()
                .printf("calibrated %d presets on %d validation images; wrote %s%n", presets.size(), held, model);
        return 0;
    }

    private static int recordedValidationSize(Manifest m) {
        Object recorded = m.training() == null ? null : m.training().get("validationImages");
        if (recorded instanceof Number n) {
            return n.intValue();
        }
        throw new IllegalArgumentException(m.name() + "'s manifest does not record training.validationImages:"
                + " give --validation N (the images held out at the end of the training data)");
    }
}
