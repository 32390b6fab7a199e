package io.lctserve.trainer.nn;

/** DJL's BatchNorm defaults, which the ONNX export must fold with. */
final class BatchNormDefaults {

    /** {@code BatchNorm.builder()}'s default epsilon. */
    static final double EPSILON = 1e-5;

    private BatchNormDefaults() {}
}
