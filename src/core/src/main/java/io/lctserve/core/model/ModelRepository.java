package io.lctserve.core.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A model repository: one folder per model name, inside it one folder per version. */
public final class ModelRepository {

    private ModelRepository() {}

    /** Every {@code <name>/<version>} folder under {@code root}, sorted by path. */
    public static List<Path> versionFolders(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("model repository " + root.toAbsolutePath() + " is not a directory");
        }
        List<Path> folders = new ArrayList<>();
        try (Stream<Path> names = Files.list(root)) {
            for (Path name : names.filter(Files::isDirectory).sorted().toList()) {
                try (Stream<Path> versions = Files.list(name)) {
                    versions.filter(Files::isDirectory).sorted().forEach(folders::add);
                }
            }
        }
        return folders;
    }
}
