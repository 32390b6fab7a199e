package io.lctserve.core.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads an MNIST-family data set in IDX format ({@code train-images-idx3-ubyte[.gz]},
 * {@code train-labels-idx1-ubyte[.gz]}, {@code t10k-*}) from a directory. Nothing is downloaded.
 */
public final class IdxDataset {

    /** Where Debian's {@code dataset-fashion-mnist} package puts Fashion-MNIST. */
    public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** Fashion-MNIST's class names in label order. */
    public static final java.util.List<String> FASHION_MNIST_LABELS = java.util.List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private IdxDataset() {}

    /** Whether {@code dir} holds IDX files (a training or test images file, gzipped or not). */
    public static boolean isIdx(Path dir) {
        for (String prefix : new String[] {"train", "t10k"}) {
            String base = prefix + "-images-idx3-ubyte";
            if (Files.isRegularFile(dir.resolve(base)) || Files.isRegularFile(dir.resolve(base + ".gz"))) {
                return true;
            }
        }
        return false;
    }

    /** The 60,000 training images (before any validation split). */
    public static ImageSet train(Path dir) throws IOException {
        return read(dir, "train");
    }

    /** The 10,000 test images. */
    public static ImageSet test(Path dir) throws IOException {
        return read(dir, "t10k");
    }

    /** Reads {@code <prefix>-images-idx3-ubyte[.gz]} and {@code <prefix>-labels-idx1-ubyte[.gz]}. */
    public static ImageSet read(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "data directory does not exist");
        }
        Path imagesFile = find(dir, prefix + "-images-idx3-ubyte");
        Path labelsFile = find(dir, prefix + "-labels-idx1-ubyte");
        int rows;
        int cols;
        byte[] pixels;
        try (DataInputStream in = open(imagesFile)) {
            int count = header(in, imagesFile, IMAGES_MAGIC);
            rows = in.readInt();
            cols = in.readInt();
            if (rows <= 0 || cols <= 0 || (long) count * rows * cols > Integer.MAX_VALUE) {
                throw new IdxFormatException(imagesFile, "implausible size " + count + "x" + rows + "x" + cols);
            }
            pixels = readFully(in, imagesFile, count * rows * cols);
        }
        int[] labels;
        try (DataInputStream in = open(labelsFile)) {
            int count = header(in, labelsFile, LABELS_MAGIC);
            byte[] raw = readFully(in, labelsFile, count);
            labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = raw[i] & 0xFF;
            }
        }
        if (labels.length * rows * cols != pixels.length) {
            throw new IdxFormatException(
                    labelsFile,
                    labels.length + " labels for " + pixels.length / (rows * cols) + " images in "
                            + imagesFile.getFileName());
        }
        return new ImageSet(pixels, labels, rows, cols);
    }

    private static Path find(Path dir, String base) throws NoSuchFileException {
        for (String name : new String[] {base, base + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new NoSuchFileException(dir.resolve(base).toString(), null, "IDX file missing (also looked for .gz)");
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        if (file.getFileName().toString().endsWith(".gz")) {
            try {
                raw = new GZIPInputStream(raw, 1 << 16);
            } catch (IOException e) {
                raw.close();
                throw new IdxFormatException(file, "not gzip data: " + e.getMessage());
            }
        }
        return new DataInputStream(raw);
    }

    private static int header(DataInputStream in, Path file, int magic) throws IOException {
        try {
            int actual = in.readInt();
            if (actual != magic) {
                throw new IdxFormatException(
                        file, String.format("magic number 0x%08x, expected 0x%08x", actual, magic));
            }
            int count = in.readInt();
            if (count < 0) {
                throw new IdxFormatException(file, "negative item count " + count);
            }
            return count;
        } catch (EOFException e) {
            throw new IdxFormatException(file, "file ends inside the header");
        }
    }

    private static byte[] readFully(DataInputStream in, Path file, int length) throws IOException {
        byte[] data = new byte[length];
        try {
            in.readFully(data);
        } catch (EOFException e) {
            throw new IdxFormatException(file, "file ends early: the header promises " + length + " data bytes");
        }
        return data;
    }
}
