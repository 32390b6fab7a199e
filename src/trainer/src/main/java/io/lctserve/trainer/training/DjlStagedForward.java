package io.lctserve.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lctserve.core.data.ImageSet;
import io.lctserve.trainer.nn.StagedNetwork;

/** Runs a trained network in inference mode (batch norm on running statistics) in DJL. */
public final class DjlStagedForward {

    /** Images per forward pass: 500 of 28x28 grey, fewer of larger images (31 of 64x64 RGB), so memory stays bounded. */
    private static final int BATCH_VALUES = 500 * 784;

    private final StagedNetwork network;
    private final NDManager manager;

    public DjlStagedForward(StagedNetwork network, NDManager manager) {
        this.network = network;
        this.manager = manager;
    }

    /** Logits of every head for every image: {@code [head][image * classes + class]}. */
    public float[][] logits(ImageSet images) {
        int n = network.stageCount();
        int classes = network.config().classes();
        float[][] out = new float[n][images.size() * classes];
        int perImage = images.pixelsPerImage();
        ParameterStore ps = new ParameterStore(manager, false);
        int batchSize = Math.max(1, BATCH_VALUES / perImage);
        for (int start = 0; start < images.size(); start += batchSize) {
            int count = Math.min(batchSize, images.size() - start);
            float[] pixels = new float[count * perImage];
            for (int i = 0; i < count; i++) {
                images.copyScaled(start + i, pixels, i * perImage);
            }
            try (NDManager batch = manager.newSubManager()) {
                NDArray h = batch.create(pixels, new Shape(images.shape(count)));
                for (int k = 0; k < n; k++) {
                    h = network.stage(k)
                            .block()
                            .forward(ps, new NDList(h), false)
                            .singletonOrThrow();
                    float[] logits = network.head(k)
                            .block()
                            .forward(ps, new NDList(h), false)
                            .singletonOrThrow()
                            .toFloatArray();
                    System.arraycopy(logits, 0, out[k], start * classes, logits.length);
                }
            }
        }
        return out;
    }
}
