package io.lctserve.core.model;

import io.lctserve.core.manifest.ManifestJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the model versions under a root folder are, in one of three layouts:
 *
 * <ul>
 *   <li>a repository (Triton's layout): {@code <name>/<version>/manifest.json}, names from the folders;
 *   <li>one model: {@code <version>/manifest.json}, as KServe's storage initializer leaves a model
 *       whose storage holds its version folders;
 *   <li>one version: {@code manifest.json} and its graphs at the root, as KServe leaves a model whose
 *       storage holds one version's files; the version is the manifest's.
 * </ul>
 *
 * In the last two the model is served under the name the server is given (KServe's
 * {@code --model_name}, the InferenceService's name), or else the manifest's. Folders whose name
 * starts with a dot are skipped (a copy being staged, renamed in when whole).
 */
public final class ModelRepository {

    /**
     * One model version: served as {@code name}/{@code version}, read from {@code folder}; with
     * {@code namedByFolders} its manifest must carry the folders' name and version.
     */
    public record Entry(String name, String version, Path folder, boolean namedByFolders) {
        public String key() {
            return name + "/" + version;
        }
    }

    private ModelRepository() {}

    /** Every {@code <name>/<version>} folder under {@code root}, sorted by path. */
    public static List<Path> versionFolders(Path root) throws IOException {
        return entries(root, null).stream().map(Entry::folder).toList();
    }

    /**
     * Every model version under {@code root}, in whichever layout it has; {@code singleName} names
     * the model of a one-model layout (null: its manifest's name).
     */
    public static List<Entry> entries(Path root, String singleName) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("model repository " + root.toAbsolutePath() + " is not a directory");
        }
        if (Files.isRegularFile(root.resolve(ModelFolder.MANIFEST_FILE))) {
            return List.of(unnamed(root, singleName, null));
        }
        List<Path> children = visibleFolders(root);
        List<Entry> entries = new ArrayList<>();
        if (children.stream().anyMatch(c -> Files.isRegularFile(c.resolve(ModelFolder.MANIFEST_FILE)))) {
            for (Path version : children) {
                entries.add(unnamed(version, singleName, version.getFileName().toString()));
            }
            return entries;
        }
        for (Path name : children) {
            for (Path version : visibleFolders(name)) {
                entries.add(new Entry(
                        name.getFileName().toString(), version.getFileName().toString(), version, true));
            }
        }
        return entries;
    }

    /** A version not named by a repository's folders: the given name, or its manifest's. */
    private static Entry unnamed(Path folder, String singleName, String version) {
        String name = singleName;
        String v = version;
        if (name == null || name.isBlank() || v == null) {
            try {
                var manifest = ManifestJson.read(folder.resolve(ModelFolder.MANIFEST_FILE));
                name = name == null || name.isBlank() ? manifest.name() : name;
                v = v == null ? manifest.version() : v;
            } catch (IOException | RuntimeException e) {
                // unreadable: loading it says what is wrong, under the folder's own name
            }
        }
        return new Entry(
                name == null || name.isBlank() ? "model" : name,
                v == null || v.isBlank() ? folder.getFileName().toString() : v,
                folder,
                false);
    }

    private static List<Path> visibleFolders(Path dir) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(Files::isDirectory)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        }
    }
}
