package io.lctserve.core.data;

import io.lctserve.core.data.ImageFolderDataset.Split;
import io.lctserve.core.manifest.Preprocess;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Reads the files of an {@link ImageFolderDataset}: {@link #survey} every header (sizes, grey or
 * colour), {@link #decode} a split into a compact {@link ImageSet} of bytes with {@link Pictures},
 * in parallel, skipping and naming a few unreadable pictures and refusing many.
 */
public final class ImageFolderReader {

    /** Unreadable pictures are skipped (counted, the first few named) up to this share of a split, refused above it. */
    public static final double MAX_UNREADABLE = 0.01;

    /** How many unreadable files a message names. */
    static final int NAMED = 3;

    /** Largest picture accepted (pixels), against decompression bombs in a scraped folder. */
    static final long MAX_PIXELS = 100_000_000L;

    private ImageFolderReader() {}

    /** What a long step has done so far; called from decoding threads. */
    public interface Progress {
        void update(String step, int done, int total);

        Progress NONE = (step, done, total) -> {};
    }

    /** What every header says: how many pictures are grey, how many colour, and their sizes. */
    public record Survey(int grey, int colour, Map<String, Integer> sizes) {

        /** The size shared by most pictures, "HxW", and how many share it. */
        public Map.Entry<String, Integer> commonest() {
            return sizes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        }
    }

    /** A decoded split: the images, and the files that could not be read (skipped). */
    public record Decoded(ImageSet images, List<String> skipped) {}

    /** Reads every picture's header (not its pixels): grey or colour, and size. Unreadable ones are left to decode. */
    public static Survey survey(List<Split> splits, int threads, Progress progress) throws DataSetException {
        List<Path> files = new ArrayList<>();
        splits.forEach(s -> files.addAll(s.files()));
        AtomicInteger grey = new AtomicInteger();
        AtomicInteger colour = new AtomicInteger();
        Map<String, Integer> sizes = new HashMap<>();
        AtomicInteger done = new AtomicInteger();
        parallel(threads, files.size(), i -> {
            try {
                Pictures.Header h = Pictures.header(files.get(i));
                (h.grey() ? grey : colour).incrementAndGet();
                synchronized (sizes) {
                    sizes.merge(h.height() + "x" + h.width(), 1, Integer::sum);
                }
            } catch (PictureException e) {
                // counted and named when the split is decoded
            }
            progress.update("reading headers", done.incrementAndGet(), files.size());
        });
        if (grey.get() + colour.get() == 0) {
            throw new DataSetException("none of the " + files.size() + " pictures has a readable header (first: "
                    + (files.isEmpty() ? "none" : files.get(0)) + ")");
        }
        return new Survey(grey.get(), colour.get(), sizes);
    }

    /**
     * Bytes an image set of {@code count} images of {@code channels x rows x cols} needs, refused with
     * a message saying what to change when this JVM cannot hold it.
     */
    public static void requireMemory(long count, int channels, int rows, int cols, String what)
            throws DataSetException {
        long bytes = count * channels * rows * cols;
        long heap = Runtime.getRuntime().maxMemory();
        long limit = Math.min(Integer.MAX_VALUE - 64L, (long) (heap * 0.6));
        if (bytes > limit) {
            throw new DataSetException(String.format(
                    Locale.ROOT,
                    "%s: %,d images of %dx%dx%d need %.2f GiB as bytes; this JVM holds at most %.2f GiB of images"
                            + " (60%% of its -Xmx %.2f GiB, and one set at most 2 GiB): use a smaller --image-size,"
                            + " fewer images (--limit), or more memory (JAVA_TOOL_OPTIONS=-Xmx...)",
                    what,
                    count,
                    channels,
                    rows,
                    cols,
                    bytes / 1073741824.0,
                    limit / 1073741824.0,
                    heap / 1073741824.0));
        }
    }

    /**
     * Decodes {@code split} to {@code channels x rows x cols} bytes as {@link Preprocess} says, on
     * {@code threads} threads. Unreadable pictures are skipped and named in {@link Decoded#skipped()};
     * more than {@link #MAX_UNREADABLE} of the split unreadable is refused.
     */
    public static Decoded decode(Split split, int channels, int rows, int cols, int threads, Progress progress)
            throws DataSetException {
        String where = split.name().contains(" ") ? split.name() : split.name() + "/";
        requireMemory(split.size(), channels, rows, cols, where);
        int per = channels * rows * cols;
        byte[] pixels = new byte[split.size() * per];
        boolean[] failed = new boolean[split.size()];
        String[] reasons = new String[split.size()];
        AtomicInteger done = new AtomicInteger();
        String step = "decoding " + where;
        parallel(threads, split.size(), i -> {
            try {
                BufferedImage image = Pictures.decode(split.files().get(i), MAX_PIXELS);
                System.arraycopy(Pictures.toInput(image, channels, rows, cols), 0, pixels, i * per, per);
            } catch (PictureException e) {
                failed[i] = true;
                reasons[i] = e.getMessage();
            }
            progress.update(step, done.incrementAndGet(), split.size());
        });
        List<String> skipped = new ArrayList<>();
        for (int i = 0; i < failed.length; i++) {
            if (failed[i]) {
                skipped.add(reasons[i]);
            }
        }
        if (skipped.size() > MAX_UNREADABLE * split.size()) {
            throw new DataSetException(String.format(
                    Locale.ROOT,
                    "%d of the %d pictures in %s are unreadable (more than %.0f%%, so this looks like a broken copy,"
                            + " not a few bad files): %s",
                    skipped.size(),
                    split.size(),
                    where,
                    100 * MAX_UNREADABLE,
                    String.join("; ", skipped.subList(0, Math.min(NAMED, skipped.size())))));
        }
        if (skipped.isEmpty()) {
            return new Decoded(new ImageSet(pixels, split.labels().clone(), channels, rows, cols), skipped);
        }
        int kept = split.size() - skipped.size();
        byte[] compact = new byte[kept * per];
        int[] labels = new int[kept];
        for (int i = 0, j = 0; i < failed.length; i++) {
            if (!failed[i]) {
                System.arraycopy(pixels, i * per, compact, j * per, per);
                labels[j++] = split.labels()[i];
            }
        }
        return new Decoded(new ImageSet(compact, labels, channels, rows, cols), skipped);
    }

    private interface Task {
        void run(int i);
    }

    private static void parallel(int threads, int count, Task task) throws DataSetException {
        ForkJoinPool pool = new ForkJoinPool(Math.max(1, threads));
        try {
            pool.submit(() -> IntStream.range(0, count).parallel().forEach(task::run))
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataSetException("interrupted while reading pictures");
        } catch (ExecutionException e) {
            throw new DataSetException("reading pictures failed: " + e.getCause());
        } finally {
            pool.shutdown();
        }
    }
}
