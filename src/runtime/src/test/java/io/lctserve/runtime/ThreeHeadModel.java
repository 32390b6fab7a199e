package io.lctserve.runtime;

import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.TinyStagedModel;
import java.nio.file.Path;

/**
 * A three-stage tiny model whose heads a test can steer: stages pass their input on, and head k
 * answers "cat" with logit x[0] and "dog" with logit x[k + 1], so the input (x0, d0, d1, d2)
 * decides what every head says and how sure it is.
 */
public final class ThreeHeadModel {

    public static final int CAT = 0;
    public static final int DOG = 1;

    private ThreeHeadModel() {}

    public static StagedSessions open(Path root) throws Exception {
        float[][] heads = new float[3][];
        for (int k = 0; k < 3; k++) {
            heads[k] = new float[8];
            heads[k][0] = 1; // x0 -> cat
            heads[k][2 * (k + 1) + 1] = 1; // x[k + 1] -> dog
        }
        Path folder = TinyStagedModel.write(root, "three", new float[] {1, 1, 1}, heads);
        return StagedSessions.open(ModelFolder.load(folder), SessionSettings.defaults());
    }

    /** One image: cat evidence {@code cat}, dog evidence per head. */
    public static float[] image(float cat, float dog0, float dog1, float dog2) {
        return new float[] {cat, dog0, dog1, dog2};
    }

    /** Probability of the more likely class when the logits differ by {@code margin}. */
    public static double confidence(double margin) {
        return 1 / (1 + Math.exp(-Math.abs(margin)));
    }
}
