package io.lctserve.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Fashion-MNIST slices the repository ships for tests ({@code testdata/fashion-mnist}: the
 * whole test set, the first 10,000 training images), loaded once per test JVM. The build passes
 * their folder as {@code lctserve.testdata}; run from an IDE, the folder is found above the
 * working directory.
 */
public final class FashionMnistSlices {

    public static final String PROPERTY = "lctserve.testdata";

    private static ImageSet train;
    private static ImageSet test;

    private FashionMnistSlices() {}

    public static Path folder() {
        String configured = System.getProperty(PROPERTY);
        if (configured != null) {
            return Path.of(configured);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata/fashion-mnist");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(
                "testdata/fashion-mnist not found above " + Path.of("").toAbsolutePath());
    }

    public static synchronized ImageSet train() {
        if (train == null) {
            train = read("train");
        }
        return train;
    }

    public static synchronized ImageSet test() {
        if (test == null) {
            test = read("t10k");
        }
        return test;
    }

    private static ImageSet read(String prefix) {
        try {
            return IdxDataset.read(folder(), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
