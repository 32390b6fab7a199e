package io.lctserve.trainer.cli;

import io.lctserve.trainer.training.Parallelism;
import io.lctserve.trainer.training.TrainingMode;
import io.lctserve.trainer.training.TrainingOptions.Augmentation;
import java.util.List;

/** {@code train}'s --pipeline and --augment, checked against the mode and the network. */
final class TrainChoices {

    private TrainChoices() {}

    /**
     * {@code --pipeline} checked against the mode and the network: how the stages share {@code cores}.
     * Default: auto for LCT on a network of more than one stage, off otherwise.
     */
    static Parallelism parallelism(String pipeline, TrainingMode trainingMode, int stages, int cores) {
        String p = pipeline != null ? pipeline.trim() : trainingMode == TrainingMode.LCT && stages > 1 ? "auto" : "off";
        if (p.equals("off")) {
            return Parallelism.sequential(cores);
        }
        if (trainingMode != TrainingMode.LCT) {
            throw new IllegalArgumentException("--pipeline " + p + " needs --mode lct: under --mode "
                    + trainingMode.label() + " gradients cross stage boundaries, so the stages cannot train apart");
        }
        if (stages < 2) {
            throw new IllegalArgumentException(
                    "--pipeline " + p + " needs a network of at least 2 stages; this one has " + stages);
        }
        int most = Math.max(1, Math.min(stages, cores));
        if (p.equals("auto")) {
            return Parallelism.choose(most, cores);
        }
        if (p.equals("on")) {
            return Parallelism.pipelined(most, cores);
        }
        int n;
        try {
            n = Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--pipeline takes auto, on, off or a worker count, was '" + p + "'");
        }
        if (n < 1 || n > stages) {
            throw new IllegalArgumentException(
                    "--pipeline " + n + ": workers must be 1.." + stages + " (one per stage at most)");
        }
        return Parallelism.pipelined(n, cores);
    }

    /**
     * Shift for grey images; shift and flip for colour ones, unless every class name is a number or a
     * single character: digits and letters are not themselves in a mirror.
     */
    static Augmentation defaultAugmentation(int channels, List<String> labels) {
        boolean characters = labels.stream()
                .map(String::strip)
                .allMatch(l -> l.codePointCount(0, l.length()) == 1 || l.matches("[0-9]+"));
        return new Augmentation(true, channels > 1 && !characters);
    }

    static Augmentation augmentation(boolean noAugment, List<String> augment, Augmentation defaults) {
        if (noAugment) {
            return Augmentation.NONE;
        }
        if (augment == null) {
            return defaults;
        }
        boolean shift = false;
        boolean flip = false;
        for (String a : augment) {
            switch (a.trim()) {
                case "shift" -> shift = true;
                case "flip" -> flip = true;
                case "none" -> {}
                default ->
                    throw new IllegalArgumentException(
                            "unknown augmentation '" + a + "' (expected shift, flip or none)");
            }
        }
        return new Augmentation(shift, flip);
    }
}
