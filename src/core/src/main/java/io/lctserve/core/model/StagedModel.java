package io.lctserve.core.model;

import io.lctserve.core.manifest.Manifest;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A model folder whose manifest and graphs passed {@link ModelFolder#load validation}.
 *
 * @param folder the model folder ({@code <repository>/<name>/<version>})
 * @param manifest its manifest
 */
public record StagedModel(Path folder, Manifest manifest) {

    /** Path of stage k's graph file. */
    public Path stageGraph(int k) {
        return folder.resolve(manifest.stages().get(k).graph());
    }

    /** Path of head k's graph file. */
    public Path headGraph(int k) {
        return folder.resolve(manifest.stages().get(k).head().graph());
    }

    /** Weights of sub-model k, stages 0..k and head k, as exported (ONNX initializer elements). */
    public long parametersThroughExit(int k) throws IOException {
        long parameters = GraphSignature.read(headGraph(k)).parameters();
        for (int s = 0; s <= k; s++) {
            parameters += GraphSignature.read(stageGraph(s)).parameters();
        }
        return parameters;
    }
}
