package io.lctserve.trainer.data;

import io.lctserve.core.data.ImageSet;
import io.lctserve.trainer.training.TrainingOptions.Augmentation;
import java.util.Random;

/**
 * Cuts an {@link ImageSet} into minibatches of pixels scaled to [0, 1], in a seeded random order
 * per epoch, with optional light augmentation: a random shift of up to
 * {@link Augmentation#maxShift(int, int)} pixels (zero padded, as a random crop of the padded image)
 * and a random horizontal flip, each as asked, the same for every channel of an image.
 */
public final class BatchSampler {

    private final ImageSet data;
    private final int batchSize;
    private final Augmentation augmentation;
    private Random random;
    private int[] order;

    public BatchSampler(ImageSet data, int batchSize, Augmentation augmentation, long seed) {
        this.data = data;
        this.batchSize = batchSize;
        this.augmentation = augmentation;
        this.random = new Random(seed);
    }

    public int batchSize() {
        return batchSize;
    }

    public int pixelsPerImage() {
        return data.pixelsPerImage();
    }

    public int channels() {
        return data.channels();
    }

    public int rows() {
        return data.rows();
    }

    public int cols() {
        return data.cols();
    }

    /** Number of full batches per epoch (a last partial batch is dropped while training). */
    public int batchesPerEpoch() {
        return data.size() / batchSize;
    }

    /** The random state (data order and augmentation to come), for a checkpoint. */
    public byte[] state() {
        var bytes = new java.io.ByteArrayOutputStream();
        try (var out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(random);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Continues from a {@link #state()}. */
    public void restore(byte[] state) {
        try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(state))) {
            random = (Random) in.readObject();
        } catch (java.io.IOException | ClassNotFoundException e) {
            throw new IllegalArgumentException("the checkpoint's sampler state does not read: " + e.getMessage(), e);
        }
    }

    /** Shuffles for a new epoch. */
    public void shuffle() {
        order = new int[data.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** Fills {@code pixels} ({@code batchSize * rows * cols}) and {@code labels} with batch b. */
    public void batch(int b, float[] pixels, long[] labels) {
        int n = data.pixelsPerImage();
        float[] image = new float[n];
        for (int i = 0; i < batchSize; i++) {
            int index = order[b * batchSize + i];
            labels[i] = data.labels()[index];
            if (augmentation.shift() || augmentation.flip()) {
                data.copyScaled(index, image, 0);
                shiftAndFlip(image, pixels, i * n);
            } else {
                data.copyScaled(index, pixels, i * n);
            }
        }
    }

    private static int clamp(int i, int size) {
        return Math.max(0, Math.min(size - 1, i));
    }

    private void shiftAndFlip(float[] image, float[] out, int offset) {
        int rows = data.rows();
        int cols = data.cols();
        int shift = Augmentation.maxShift(rows, cols);
        int dy = augmentation.shift() ? random.nextInt(2 * shift + 1) - shift : 0;
        int dx = augmentation.shift() ? random.nextInt(2 * shift + 1) - shift : 0;
        boolean flip = augmentation.flip() && random.nextBoolean();
        int plane = rows * cols;
        // Grey images pad with black, their background by convention (Fashion-MNIST, digits, scans); colour ones
        // repeat their edge, since a black border on a coloured background would be an edge of its own.
        boolean edge = data.channels() > 1;
        for (int c = 0; c < data.channels(); c++) {
            int base = c * plane;
            for (int y = 0; y < rows; y++) {
                int sy = y + dy;
                for (int x = 0; x < cols; x++) {
                    int sx = (flip ? cols - 1 - x : x) + dx;
                    boolean inside = sy >= 0 && sy < rows && sx >= 0 && sx < cols;
                    out[offset + base + y * cols + x] = inside
                            ? image[base + sy * cols + sx]
                            : edge ? image[base + clamp(sy, rows) * cols + clamp(sx, cols)] : 0f;
                }
            }
        }
    }
}
