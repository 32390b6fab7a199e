package io.lctserve.trainer.cli;

import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.model.InvalidModelException;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.trainer.training.TrainingMode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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

    /**
     * Refuses a reference whose network, epochs or training images differ from the model's,
     * compared as the manifests write them.
     */
    static void requireComparable(Map<String, Object> training, Manifest reference, Path referenceFolder) {
        for (String key : List.of("network", "epochs", "trainImages")) {
            String mine = ManifestJson.valueJson(training.get(key));
            String theirs = ManifestJson.valueJson(reference.training().get(key));
            if (!mine.equals(theirs)) {
                throw new IllegalArgumentException("backprop reference " + referenceFolder + " differs in training."
                        + key + ": " + theirs + " vs " + mine);
            }
        }
    }
}
