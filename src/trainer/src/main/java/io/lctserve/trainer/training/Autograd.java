package io.lctserve.trainer.training;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import java.util.List;

/**
 * Backward passes on any thread. DJL's {@code GradientCollector} allows one collector in the whole
 * process at a time, which would serialize the pipeline's workers; PyTorch itself keeps its grad mode
 * per thread and runs a CPU backward on the calling thread, so each worker records and back-propagates
 * its own stages' graphs.
 */
final class Autograd {

    private Autograd() {}

    /** Switches recording on for this thread; returns what it was, for {@link #restore}. */
    static boolean enable() {
        boolean was = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        return was;
    }

    static void restore(boolean was) {
        JniUtils.setGradMode(was);
    }

    /** Accumulates d(loss)/d(parameter) into every parameter's gradient; {@code loss} is a scalar. */
    static void backward(NDArray loss) {
        try (NDArray ones = loss.onesLike()) {
            JniUtils.backward((PtNDArray) loss, (PtNDArray) ones, false, false);
        }
    }

    /** One optimizer step; DJL's PyTorch optimizers zero each gradient they consume. */
    static void update(Optimizer optimizer, List<Parameter> parameters) {
        for (Parameter p : parameters) {
            NDArray weight = p.getArray();
            try (NDArray grad = weight.getGradient()) {
                optimizer.update(p.getId(), weight, grad);
            }
        }
    }

    /** Drops gradients accumulated by a backward pass whose update these parameters must not take. */
    static void zeroGradients(List<Parameter> parameters) {
        for (Parameter p : parameters) {
            try (NDArray grad = p.getArray().getGradient()) {
                grad.subi(grad);
            }
        }
    }
}
