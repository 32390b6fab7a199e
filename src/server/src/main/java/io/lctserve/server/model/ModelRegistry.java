package io.lctserve.server.model;

import ai.onnxruntime.OrtException;
import io.lctserve.core.model.InvalidModelException;
import io.lctserve.core.model.ModelFolder;
import io.lctserve.core.model.ModelRepository;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.server.config.LctServeProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Every model folder of the repository, loaded at startup. A folder that fails validation or
 * cannot be opened is logged and listed with its reason; the other models still serve.
 */
@Component
public class ModelRegistry implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

    /** Numeric versions in numeric order, others after them in text order. */
    static final Comparator<String> VERSION_ORDER = Comparator.<String, Boolean>comparing(v -> !v.matches("\\d{1,18}"))
            .thenComparing((a, b) -> a.matches("\\d{1,18}") && b.matches("\\d{1,18}")
                    ? Long.compare(Long.parseLong(a), Long.parseLong(b))
                    : a.compareTo(b));

    private static final int WARM_UP_ROUNDS = 3;

    private final Map<String, NavigableMap<String, LoadedModel>> models = new TreeMap<>();
    private final Map<String, String> failures = new LinkedHashMap<>();
    private final Path repository;

    public ModelRegistry(LctServeProperties properties) {
        this.repository = properties.modelRepository().toAbsolutePath().normalize();
        List<Path> folders;
        try {
            folders = ModelRepository.versionFolders(repository);
        } catch (IOException e) {
            failures.put(repository.toString(), e.getMessage());
            log.error("No models loaded: {}", e.getMessage());
            return;
        }
        SessionSettings settings = new SessionSettings(properties.intraOpThreads());
        for (Path folder : folders) {
            load(folder, settings);
        }
        if (models.isEmpty()) {
            log.error("No model of {} could be loaded", repository);
        }
    }

    private void load(Path folder, SessionSettings settings) {
        String key = repository.relativize(folder).toString();
        try {
            LoadedModel model = LoadedModel.open(ModelFolder.load(folder), settings, WARM_UP_ROUNDS);
            models.computeIfAbsent(model.name(), n -> new TreeMap<>(VERSION_ORDER))
                    .put(model.version(), model);
            log.info(
                    "Loaded model {} version {} from {}: {} stages, {} labels, {} MACs for the full model",
                    model.name(),
                    model.version(),
                    folder,
                    model.exitCount(),
                    model.classes(),
                    model.cost().fullModel());
        } catch (InvalidModelException e) {
            failures.put(key, withinRepository(e.getMessage(), folder, key));
            log.error("Model folder {} is invalid and will not be served: {}", folder, e.getMessage());
        } catch (OrtException | RuntimeException e) {
            failures.put(key, withinRepository("model folder " + folder + ": " + e.getMessage(), folder, key));
            log.error("Model folder {} could not be opened and will not be served", folder, e);
        }
    }

    /**
     * A failure as clients see it (readiness, 503 bodies): folders named within the repository
     * ({@code fm/1}), not by where the repository sits on the server's disk; the log keeps the full path.
     */
    private static String withinRepository(String message, Path folder, String key) {
        return message.replace(folder.toAbsolutePath().toString(), key).replace(folder.toString(), key);
    }

    public Path repository() {
        return repository;
    }

    /** The newest version of a model, or of the given version when {@code version} is not null. */
    public Optional<LoadedModel> find(String name, String version) {
        NavigableMap<String, LoadedModel> versions = models.get(name);
        if (versions == null || versions.isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(version == null ? versions.lastEntry().getValue() : versions.get(version));
    }

    /** Names of the models that serve, in name order. */
    public List<String> names() {
        return List.copyOf(models.keySet());
    }

    /** Versions of a model that serve, oldest first. */
    public List<String> versions(String name) {
        NavigableMap<String, LoadedModel> versions = models.get(name);
        return versions == null ? List.of() : new ArrayList<>(versions.keySet());
    }

    public List<LoadedModel> all() {
        List<LoadedModel> all = new ArrayList<>();
        models.values().forEach(v -> all.addAll(v.values()));
        return all;
    }

    /** Folders that failed to load ({@code name/version}) and why. */
    public Map<String, String> failures() {
        return Collections.unmodifiableMap(failures);
    }

    /** Why {@code name} (or one of its versions) failed to load, if it did. */
    public Optional<String> failure(String name, String version) {
        return failures.entrySet().stream()
                .filter(e -> version == null
                        ? e.getKey().startsWith(name + "/")
                        : e.getKey().equals(name + "/" + version))
                .map(Map.Entry::getValue)
                .findFirst();
    }

    @Override
    public void destroy() {
        all().forEach(LoadedModel::close);
        log.info("Closed {} models", all().size());
    }
}
