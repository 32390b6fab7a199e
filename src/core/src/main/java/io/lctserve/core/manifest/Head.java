package io.lctserve.core.manifest;

/**
 * An exit head: a classifier over one stage's output that returns logits {@code [batch, classes]}.
 * The last stage's head is the main network's own classifier.
 *
 * @param graph file name of the head's ONNX graph, relative to the model folder
 * @param input name of the graph's input tensor (its stage's output)
 * @param output name of the graph's logits tensor
 * @param macs multiply-accumulates per sample
 */
public record Head(String graph, String input, String output, long macs) {}
