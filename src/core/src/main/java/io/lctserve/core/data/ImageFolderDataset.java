package io.lctserve.core.data;

import io.lctserve.core.manifest.Preprocess;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * An image-folder data set, the layout torchvision's {@code ImageFolder}, Keras's
 * {@code image_dataset_from_directory} and DJL's {@code ImageFolder} read: {@code DIR/train/<class>/*},
 * {@code DIR/test/<class>/*} and optionally {@code DIR/val/<class>/*}, PNG and JPEG mixed, class
 * names the folder names in sorted order. {@link #scan} checks the layout and lists the files,
 * {@link #survey} reads every header (sizes, grey or colour), {@link #decode} turns a list of files
 * into a compact {@link ImageSet} of bytes with {@link Pictures}, in parallel.
 *
 * <p>Over 300 lines because the layout's checks (one message per bad folder or file) and the reading
 * share the split and record types; splitting the reading into a class of its own is the next step
 * if either grows.
 */
public final class ImageFolderDataset {

    public static final String TRAIN = "train";
    public static final String TEST = "test";
    public static final String VALIDATION = "val";

    /** File name endings read as pictures (case-insensitive). */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg");

    /** Unreadable pictures are skipped (counted, the first few named) up to this share of a split, refused above it. */
    public static final double MAX_UNREADABLE = 0.01;

    /** How many unreadable files a message names. */
    static final int NAMED = 3;

    /** Seed of the fixed shuffle of the training files, so that a validation cut from them mixes every class. */
    static final long ORDER_SEED = 0x1c75e7L;

    /** Largest picture accepted (pixels), against decompression bombs in a scraped folder. */
    static final long MAX_PIXELS = 100_000_000L;

    private ImageFolderDataset() {}

    /** What a long step has done so far; called from decoding threads. */
    public interface Progress {
        void update(String step, int done, int total);

        Progress NONE = (step, done, total) -> {};
    }

    /**
     * Files of one split, each with its class index.
     *
     * @param name {@code train}, {@code val} or {@code test}
     */
    public record Split(String name, List<Path> files, int[] labels) {

        public int size() {
            return files.size();
        }

        /** Files {@code from} (inclusive) to {@code to} (exclusive). */
        public Split slice(int from, int to) {
            return new Split(name, files.subList(from, to), Arrays.copyOfRange(labels, from, to));
        }

        /** The same files under another name (a validation split cut out of train/). */
        public Split named(String newName) {
            return new Split(newName, files, labels);
        }
    }

    /** The checked layout: classes in label order, and each split's files ({@code validation} may be null). */
    public record Layout(Path root, List<String> classes, Split train, Split validation, Split test) {}

    /** What every header says: how many pictures are grey, how many colour, and their sizes. */
    public record Survey(int grey, int colour, Map<String, Integer> sizes) {

        /** The size shared by most pictures, "HxW", and how many share it. */
        public Map.Entry<String, Integer> commonest() {
            return sizes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        }
    }

    /** A decoded split: the images, and the files that could not be read (skipped). */
    public record Decoded(ImageSet images, List<String> skipped) {}

    /** Whether {@code dir} is laid out as image folders ({@code train/} and {@code test/} folders). */
    public static boolean isImageFolders(Path dir) {
        return Files.isDirectory(dir.resolve(TRAIN)) || Files.isDirectory(dir.resolve(TEST));
    }

    /** Checks the layout and lists every split's files; the training files in a fixed shuffled order. */
    public static Layout scan(Path dir) throws DataSetException {
        Path trainDir = dir.resolve(TRAIN);
        Path testDir = dir.resolve(TEST);
        if (!Files.isDirectory(trainDir) || !Files.isDirectory(testDir)) {
            throw new DataSetException(dir + ": image folders need both " + TRAIN + "/<class>/ and " + TEST
                    + "/<class>/ (missing " + (Files.isDirectory(trainDir) ? TEST : TRAIN) + "/)");
        }
        List<String> classes = classFolders(trainDir);
        if (classes.isEmpty()) {
            throw new DataSetException(trainDir + ": no class folders (expected " + TRAIN + "/<class>/<image>)");
        }
        Split train = split(TRAIN, trainDir, classes);
        Split test = split(TEST, testDir, classes);
        Path valDir = dir.resolve(VALIDATION);
        Split validation = Files.isDirectory(valDir) ? split(VALIDATION, valDir, classes) : null;
        return new Layout(dir, classes, shuffled(train), validation, test);
    }

    private static List<String> classFolders(Path dir) throws DataSetException {
        List<String> names = new ArrayList<>();
        for (Path entry : list(dir)) {
            String name = entry.getFileName().toString();
            if (hidden(name)) {
                continue;
            }
            if (Files.isDirectory(entry)) {
                names.add(name);
            } else {
                throw new DataSetException(
                        entry + ": a file beside the class folders; pictures go in " + dir.getFileName() + "/<class>/");
            }
        }
        Collections.sort(names);
        return names;
    }

    private static Split split(String name, Path dir, List<String> classes) throws DataSetException {
        List<String> here = classFolders(dir);
        if (here.isEmpty()) {
            throw new DataSetException(dir + ": no class folders (expected " + name + "/<class>/<image>)");
        }
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (String c : here) {
            int label = classes.indexOf(c);
            if (label < 0) {
                throw new DataSetException(
                        dir.resolve(c) + ": class '" + c + "' is not among the training classes " + classes);
            }
            List<Path> pictures = pictures(dir.resolve(c));
            if (pictures.isEmpty()) {
                throw new DataSetException(dir.resolve(c) + ": empty class folder (no .png, .jpg or .jpeg file)");
            }
            files.addAll(pictures);
            pictures.forEach(p -> labels.add(label));
        }
        return new Split(
                name, files, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    private static List<Path> pictures(Path classDir) throws DataSetException {
        try (Stream<Path> walk = Files.walk(classDir)) {
            List<Path> files = new ArrayList<>();
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                if (p.equals(classDir) || Files.isDirectory(p) || hiddenBelow(classDir, p)) {
                    continue;
                }
                String file = p.getFileName().toString();
                int dot = file.lastIndexOf('.');
                String ext = dot < 0 ? "" : file.substring(dot + 1).toLowerCase(Locale.ROOT);
                if (!EXTENSIONS.contains(ext)) {
                    throw new DataSetException(
                            p + ": not a picture by its name (only .png, .jpg and .jpeg are read): move it out");
                }
                files.add(p);
            }
            return files;
        } catch (DataSetException e) {
            throw e;
        } catch (IOException | UncheckedIOException e) {
            throw new DataSetException(classDir + ": cannot be listed (" + e.getMessage() + ")");
        }
    }

    private static boolean hiddenBelow(Path root, Path p) {
        for (Path part : root.relativize(p)) {
            if (hidden(part.toString())) {
                return true;
            }
        }
        return false;
    }

    private static boolean hidden(String name) {
        return name.startsWith(".");
    }

    private static List<Path> list(Path dir) throws DataSetException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.sorted().toList();
        } catch (IOException e) {
            throw new DataSetException(dir + ": cannot be listed (" + e.getMessage() + ")");
        }
    }

    private static Split shuffled(Split split) {
        Integer[] order = new Integer[split.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Collections.shuffle(Arrays.asList(order), new Random(ORDER_SEED));
        List<Path> files = new ArrayList<>(order.length);
        int[] labels = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            files.add(split.files().get(order[i]));
            labels[i] = split.labels()[order[i]];
        }
        return new Split(split.name(), files, labels);
    }

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
