package io.lctserve.trainer;

import io.lctserve.core.data.IdxDataset;
import io.lctserve.core.data.ImageSet;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Real Fashion-MNIST from Debian's dataset-fashion-mnist package (.ci/run installs it). Loaded
 * once per test JVM; a missing package fails the tests loudly instead of skipping them.
 */
public final class TestData {

    private static ImageSet train;
    private static ImageSet test;

    private TestData() {}

    public static synchronized ImageSet train() {
        if (train == null) {
            train = load("train");
        }
        return train;
    }

    public static synchronized ImageSet test() {
        if (test == null) {
            test = load("t10k");
        }
        return test;
    }

    private static ImageSet load(String prefix) {
        try {
            return IdxDataset.read(IdxDataset.FASHION_MNIST, prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Fashion-MNIST is needed: apt-get install -y dataset-fashion-mnist (" + e.getMessage() + ")", e);
        }
    }
}
