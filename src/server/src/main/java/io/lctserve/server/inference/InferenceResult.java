package io.lctserve.server.inference;

import io.lctserve.runtime.BatchResult;

/**
 * A request's answers.
 *
 * @param batch every sample's answer, with timings and compute
 * @param rule what decided the exits, as {@link ResolvedKnob#rule()}
 */
public record InferenceResult(BatchResult batch, String rule) {}
