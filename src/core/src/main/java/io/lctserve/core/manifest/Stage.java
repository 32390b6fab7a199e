package io.lctserve.core.manifest;

/**
 * One stage of the main network and the exit head (local critic) that reads its output.
 *
 * @param graph file name of the stage's ONNX graph, relative to the model folder
 * @param input name of the graph's input tensor (the previous stage's output)
 * @param output name of the graph's output tensor
 * @param macs multiply-accumulates per sample
 * @param head the classifier that reads this stage's output
 */
public record Stage(String graph, String input, String output, long macs, Head head) {}
