package io.lctserve.bench;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageSet;
import io.lctserve.core.model.InvalidModelException;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.StagedModel;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The model and the test images a benchmark runs on. */
final class TestImages {

    @Option(names = "--model-dir", description = "Model folder. Default: ${DEFAULT-VALUE}")
    Path modelDir = Path.of("models/fashion-mnist/4");

    @Option(names = "--data", description = "IDX data directory. Default: ${DEFAULT-VALUE}")
    Path data = IdxDataset.FASHION_MNIST;

    @Option(names = "--images", description = "Test images (0 = all). Default: ${DEFAULT-VALUE}")
    int images;

    StagedModel model() throws IOException, InvalidModelException {
        return ModelFolder.load(modelDir);
    }

    ImageSet test() throws IOException {
        ImageSet test = IdxDataset.test(data);
        return images > 0 && images < test.size() ? test.slice(0, images) : test;
    }
}
