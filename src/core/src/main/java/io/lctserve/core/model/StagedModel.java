package io.lctserve.core.model;

import io.lctserve.core.manifest.Manifest;
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
}
