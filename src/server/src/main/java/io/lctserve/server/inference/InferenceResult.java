package io.lctserve.server.inference;

import io.lctserve.runtime.BatchResult;
import io.lctserve.server.model.LoadedModel;

/**
 * A call's answers, or a progressive call's answers so far.
 *
 * @param model the model version that answered
 * @param batch every sample's answer, with timings and compute
 * @param rule what decided the exits, as {@link ResolvedKnob#rule()}
 * @param contract how the request's {@code max_disagreement} was met, or null
 */
public record InferenceResult(LoadedModel model, BatchResult batch, String rule, Contract contract) {}
