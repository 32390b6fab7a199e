package io.lctserve.core.model;

import io.lctserve.core.manifest.Manifest;
import io.lctserve.core.manifest.ManifestJson;
import io.lctserve.core.model.InvalidModelException.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;

/**
 * Reads a staged model folder and checks everything a server relies on before it loads a graph:
 * the manifest's fields ({@link ManifestCheck}), then that the graphs' declared tensors chain from
 * the model input through every stage to each head's logits ({@link GraphChainCheck}).
 */
public final class ModelFolder {

    public static final String MANIFEST_FILE = "manifest.json";

    /** Optional: a few images per class at the input's shape, for the web page (written by the trainer at export). */
    public static final String SAMPLES_FILE = "samples.json";

    private ModelFolder() {}

    /** Reads and validates the model in {@code folder}, or says everything that is wrong with it. */
    public static StagedModel load(Path folder) throws InvalidModelException {
        return load(folder, true);
    }

    /**
     * Like {@link #load(Path)}, but the manifest's name and version need not match the folders: for a
     * model placed where a platform put it (KServe's {@code /mnt/models}), served under a name given
     * to the server.
     */
    public static StagedModel loadUnnamed(Path folder) throws InvalidModelException {
        return load(folder, false);
    }

    private static StagedModel load(Path folder, boolean namedByFolders) throws InvalidModelException {
        List<Problem> problems = new ArrayList<>();
        Manifest manifest = readManifest(folder, problems);
        if (manifest != null) {
            problems.addAll(check(folder, manifest, namedByFolders));
        }
        if (!problems.isEmpty()) {
            throw new InvalidModelException(folder, problems);
        }
        return new StagedModel(folder, manifest);
    }

    /** Validates a manifest that is about to be written into {@code folder}, graphs included. */
    public static void validate(Path folder, Manifest manifest) throws InvalidModelException {
        List<Problem> problems = check(folder, manifest, true);
        if (!problems.isEmpty()) {
            throw new InvalidModelException(folder, problems);
        }
    }

    /** The graphs are read only once the manifest is sound: their checks rely on its fields. */
    private static List<Problem> check(Path folder, Manifest manifest, boolean namedByFolders) {
        List<Problem> problems = ManifestCheck.problems(folder, manifest, namedByFolders);
        return problems.isEmpty() ? GraphChainCheck.problems(folder, manifest) : problems;
    }

    private static Manifest readManifest(Path folder, List<Problem> problems) {
        Path file = folder.resolve(MANIFEST_FILE);
        if (!Files.isRegularFile(file)) {
            problems.add(new Problem(MANIFEST_FILE, "(file)", "missing"));
            return null;
        }
        try {
            return ManifestJson.read(file);
        } catch (JacksonException e) {
            String field = e.getPathReference() == null || e.getPath().isEmpty() ? "(json)" : jsonPath(e.getPath());
            problems.add(new Problem(
                    MANIFEST_FILE,
                    field,
                    "malformed JSON" + location(e) + ": " + firstSentence(e.getOriginalMessage())));
        } catch (IOException e) {
            problems.add(new Problem(MANIFEST_FILE, "(file)", "cannot be read: " + e.getMessage()));
        }
        return null;
    }

    private static String location(JacksonException e) {
        var loc = e.getLocation();
        return loc == null || loc.getLineNr() < 0
                ? ""
                : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    /** Jackson appends source locations and hints after the first line or parenthesis. */
    private static String firstSentence(String message) {
        String first = message.lines().findFirst().orElse(message);
        int marker = first.indexOf(" (");
        return marker > 0 ? first.substring(0, marker) : first;
    }

    private static String jsonPath(List<JacksonException.Reference> path) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference ref : path) {
            if (ref.getPropertyName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    static String quote(String s) {
        return s == null ? "null" : "\"" + s + "\"";
    }
}
