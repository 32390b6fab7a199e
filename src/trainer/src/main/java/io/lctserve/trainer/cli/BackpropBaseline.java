package io.lctserve.trainer.cli;

import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.model.InvalidModelException;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.trainer.training.TrainingMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** The main-head test accuracy of a model folder trained with {@code --mode backprop}. */
final class BackpropBaseline {

    private BackpropBaseline() {}

    static Manifest load(Path folder) throws InvalidModelException {
        Manifest reference = ModelFolder.load(folder).manifest();
        if (reference.evaluation() == null) {
            throw new IllegalArgumentException("backprop reference " + folder + " has no evaluation in its manifest");
        }
        Object mode = reference.training().get("mode");
        if (!TrainingMode.BACKPROP.label().equals(mode)) {
            throw new IllegalArgumentException(
                    "backprop reference " + folder + " was trained with mode " + mode + ", not backprop");
        }
        return reference;
    }

    static double mainAccuracy(Manifest reference) {
        List<Double> acc = reference.evaluation().headAccuracy();
        return acc.get(acc.size() - 1);
    }

    /** Refuses a reference whose network or epoch count differs from the model's. */
    static void requireComparable(Manifest model, Manifest reference, Path referenceFolder) {
        for (String key : List.of("network", "epochs", "trainImages")) {
            if (!Objects.equals(
                    String.valueOf(model.training().get(key)),
                    String.valueOf(reference.training().get(key)))) {
                throw new IllegalArgumentException("backprop reference " + referenceFolder + " differs in training."
                        + key + ": " + reference.training().get(key) + " vs "
                        + model.training().get(key));
            }
        }
    }
}
