package io.lctserve.server.model;

import ai.onnxruntime.OrtException;
import io.lctserve.core.model.InvalidModelException;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.ModelRepository;
import io.lctserve.runtime.SessionSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one version folder into a served model for {@link ModelRegistry}: validated, opened,
 * warmed up, or refused with a reason a client may read (folders named within the repository);
 * and tells whether a folder changed since it was last looked at.
 */
final class ModelLoader {

    private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);
    private static final int WARM_UP_ROUNDS = 3;

    private final SessionSettings settings;
    private final int verificationWindow;

    ModelLoader(SessionSettings settings, int verificationWindow) {
        this.settings = settings;
        this.verificationWindow = verificationWindow;
    }

    /** A folder's contents as far as reloading cares: its files' names, sizes and modification times. */
    static String fingerprint(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            StringBuilder sb = new StringBuilder();
            for (Path f : files.sorted().toList()) {
                sb.append(f.getFileName())
                        .append(':')
                        .append(Files.size(f))
                        .append(':')
                        .append(Files.getLastModifiedTime(f).toMillis())
                        .append(';');
            }
            return sb.toString();
        } catch (IOException e) {
            return "unreadable:" + e.getMessage();
        }
    }

    static final class LoadFailure extends Exception {
        final String reason;

        LoadFailure(String reason) {
            super(reason, null, false, false);
            this.reason = reason;
        }
    }

    /** Opens and warms up the model version {@code entry}, served as its key ({@code name/version}). */
    LoadedModel open(ModelRepository.Entry entry) throws LoadFailure {
        Path folder = entry.folder();
        String key = entry.key();
        try {
            LoadedModel model = LoadedModel.open(
                    entry.namedByFolders() ? ModelFolder.load(folder) : ModelFolder.loadUnnamed(folder),
                    entry.name(),
                    settings,
                    WARM_UP_ROUNDS,
                    verificationWindow);
            if (!key.equals(model.name() + "/" + model.version())) {
                model.close();
                throw new LoadFailure("model folder " + key + " holds " + model.name() + "/" + model.version());
            }
            log.info(
                    "Loaded model {} version {} from {}: {} stages, {} labels, {} MACs for the full model",
                    model.name(),
                    model.version(),
                    folder,
                    model.exitCount(),
                    model.classes(),
                    model.cost().fullModel());
            return model;
        } catch (InvalidModelException e) {
            log.error("Model folder {} is invalid and will not be served: {}", folder, e.getMessage());
            throw new LoadFailure(withinRepository(e.getMessage(), folder, key));
        } catch (OrtException | RuntimeException e) {
            log.error("Model folder {} could not be opened and will not be served", folder, e);
            throw new LoadFailure(withinRepository("model folder " + folder + ": " + e.getMessage(), folder, key));
        }
    }

    /**
     * A failure as clients see it (readiness, 503 bodies): folders named within the repository
     * ({@code fm/1}), not by where the repository sits on the server's disk; the log keeps the full path.
     */
    private static String withinRepository(String message, Path folder, String key) {
        return message.replace(folder.toAbsolutePath().toString(), key).replace(folder.toString(), key);
    }
}
