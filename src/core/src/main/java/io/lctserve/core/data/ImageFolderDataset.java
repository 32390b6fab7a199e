package io.lctserve.core.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * An image-folder data set, the layout torchvision's {@code ImageFolder}, Keras's
 * {@code image_dataset_from_directory} and DJL's {@code ImageFolder} read: {@code DIR/train/<class>/*},
 * {@code DIR/test/<class>/*} and optionally {@code DIR/val/<class>/*}, PNG and JPEG mixed, class
 * names the folder names in sorted order. {@link #scan} checks the layout and lists the files;
 * {@link ImageFolderReader} reads them.
 */
public final class ImageFolderDataset {

    public static final String TRAIN = "train";
    public static final String TEST = "test";
    public static final String VALIDATION = "val";

    /** File name endings read as pictures (case-insensitive). */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg");

    /** Seed of the fixed shuffle of the training files, so that a validation cut from them mixes every class. */
    static final long ORDER_SEED = 0x1c75e7L;

    private ImageFolderDataset() {}

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
}
