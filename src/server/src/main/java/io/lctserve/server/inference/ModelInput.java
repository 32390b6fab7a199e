package io.lctserve.server.inference;

/**
 * A decoded model input.
 *
 * @param pixels row-major values in [0, 1]
 * @param shape {@code [batch, C, H, W]}
 */
public record ModelInput(float[] pixels, long[] shape) {}
