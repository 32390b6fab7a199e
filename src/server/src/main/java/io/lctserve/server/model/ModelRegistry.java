package io.lctserve.server.model;

import io.lctserve.core.model.ModelRepository;
import io.lctserve.runtime.SessionSettings;
import io.lctserve.server.config.LctServeProperties;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The model repository as it is on disk: every {@code <name>/<version>} folder (or the one model of
 * a KServe-style folder, {@link ModelRepository}), loaded at startup
 * and then followed ({@code lctserve.repository.poll-interval}). A new folder is validated and
 * served; a changed one is loaded beside the serving one and swapped in only if it is valid (a
 * corrupt replacement is refused and the old version keeps serving, the refusal listed with why);
 * a removed one stops taking requests, and closes when its requests in flight are answered. A folder
 * that fails is logged and listed with its reason; the other models still serve.
 */
@Component
public class ModelRegistry implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

    /** Numeric versions in numeric order, others after them in text order. */
    static final Comparator<String> VERSION_ORDER = Comparator.<String, Boolean>comparing(v -> !v.matches("\\d{1,18}"))
            .thenComparing((a, b) -> a.matches("\\d{1,18}") && b.matches("\\d{1,18}")
                    ? Long.compare(Long.parseLong(a), Long.parseLong(b))
                    : a.compareTo(b));

    private final Path repository;
    private final String singleModelName;
    private final ModelLoader loader;
    private final ScheduledExecutorService poller;
    // Replaced whole under the lock, read without it.
    private volatile Map<String, NavigableMap<String, LoadedModel>> models = Map.of();
    private volatile Map<String, String> failures = Map.of();
    // Guarded by this:
    private final Map<String, String> fingerprints = new TreeMap<>(); // name/version -> what was loaded or refused
    private final Set<String> unloaded = new HashSet<>(); // names unloaded on request: not reloaded by polling

    public ModelRegistry(LctServeProperties properties) {
        this.repository = properties.modelRepository().toAbsolutePath().normalize();
        this.singleModelName = properties.modelName();
        this.loader = new ModelLoader(
                new SessionSettings(properties.intraOpThreads()),
                properties.verification().window());
        rescan();
        if (models.isEmpty()) {
            log.error("No model of {} could be loaded", repository);
        }
        long poll = properties.repository().pollInterval().toMillis();
        if (poll > 0) {
            poller = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lctserve-repository");
                t.setDaemon(true);
                return t;
            });
            poller.scheduleWithFixedDelay(this::rescanQuietly, poll, poll, TimeUnit.MILLISECONDS);
        } else {
            poller = null;
        }
    }

    private void rescanQuietly() {
        try {
            rescan();
        } catch (RuntimeException e) {
            log.error("Rescanning the model repository failed", e);
        }
    }

    /** Brings the served models in line with the repository folders; returns what changed, for people. */
    public synchronized List<String> rescan() {
        List<String> changes = new ArrayList<>();
        Map<String, ModelRepository.Entry> onDisk = new TreeMap<>();
        Map<String, String> newFailures = new LinkedHashMap<>(failures);
        try {
            for (ModelRepository.Entry entry : ModelRepository.entries(repository, singleModelName)) {
                onDisk.put(entry.key(), entry);
            }
            newFailures.remove(".");
        } catch (IOException e) {
            newFailures.put(".", "the model repository cannot be read");
            log.error("Model repository {} cannot be read: {}", repository, e.getMessage());
            failures = newFailures;
            return changes; // keep serving what is loaded
        }
        Map<String, NavigableMap<String, LoadedModel>> next = copy(models);
        List<LoadedModel> retire = new ArrayList<>();
        // gone from disk
        for (String key : new ArrayList<>(fingerprints.keySet())) {
            if (!onDisk.containsKey(key)) {
                fingerprints.remove(key);
                newFailures.remove(key);
                LoadedModel old = remove(next, key);
                if (old != null) {
                    retire.add(old);
                    changes.add("unloaded " + key + " (removed from the repository)");
                }
            }
        }
        // new or changed
        for (Map.Entry<String, ModelRepository.Entry> e : onDisk.entrySet()) {
            String key = e.getKey();
            if (unloaded.contains(key.substring(0, key.indexOf('/')))) {
                continue;
            }
            String fingerprint = ModelLoader.fingerprint(e.getValue().folder());
            if (fingerprint.equals(fingerprints.get(key))) {
                continue;
            }
            fingerprints.put(key, fingerprint);
            LoadedModel serving = get(next, key);
            try {
                LoadedModel loaded = loader.open(e.getValue());
                LoadedModel old = put(next, loaded);
                newFailures.remove(key);
                if (old != null) {
                    retire.add(old);
                }
                changes.add((serving == null ? "loaded " : "replaced ") + key);
            } catch (ModelLoader.LoadFailure f) {
                newFailures.put(
                        key,
                        serving == null
                                ? f.reason
                                : "replacement refused, the version loaded before still serves: " + f.reason);
                changes.add("refused " + key + ": " + f.reason);
            }
        }
        models = next;
        failures = newFailures;
        retire.forEach(LoadedModel::retire);
        changes.forEach(c -> log.info("Model repository: {}", c));
        return changes;
    }

    /** Stops serving every version of {@code name} (until {@link #load}); their requests in flight are answered. */
    public synchronized List<String> unload(String name) {
        unloaded.add(name);
        Map<String, NavigableMap<String, LoadedModel>> next = copy(models);
        NavigableMap<String, LoadedModel> versions = next.remove(name);
        models = next;
        fingerprints.keySet().removeIf(k -> k.startsWith(name + "/"));
        List<String> changes = new ArrayList<>();
        if (versions != null) {
            versions.values().forEach(m -> {
                m.retire();
                changes.add("unloaded " + name + "/" + m.version() + " (on request)");
            });
        }
        changes.forEach(c -> log.info("Model repository: {}", c));
        return changes;
    }

    /** Serves {@code name} again as the repository has it (after {@link #unload}), or loads it anew. */
    public synchronized List<String> load(String name) {
        unloaded.remove(name);
        fingerprints.keySet().removeIf(k -> k.startsWith(name + "/"));
        return rescan();
    }

    private static Map<String, NavigableMap<String, LoadedModel>> copy(
            Map<String, NavigableMap<String, LoadedModel>> m) {
        Map<String, NavigableMap<String, LoadedModel>> copy = new TreeMap<>();
        m.forEach((name, versions) -> copy.put(name, new TreeMap<>(versions)));
        return copy;
    }

    private static LoadedModel get(Map<String, NavigableMap<String, LoadedModel>> m, String key) {
        String[] nv = key.split("/", 2);
        NavigableMap<String, LoadedModel> versions = m.get(nv[0]);
        return versions == null ? null : versions.get(nv[1]);
    }

    private static LoadedModel put(Map<String, NavigableMap<String, LoadedModel>> m, LoadedModel model) {
        return m.computeIfAbsent(model.name(), n -> new TreeMap<>(VERSION_ORDER))
                .put(model.version(), model);
    }

    private static LoadedModel remove(Map<String, NavigableMap<String, LoadedModel>> m, String key) {
        String[] nv = key.split("/", 2);
        NavigableMap<String, LoadedModel> versions = m.get(nv[0]);
        if (versions == null) {
            return null;
        }
        LoadedModel removed = versions.remove(nv[1]);
        if (versions.isEmpty()) {
            m.remove(nv[0]);
        }
        return removed;
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

    /** Folders that failed to load ({@code name/version}) and why, including refused replacements. */
    public Map<String, String> failures() {
        return failures;
    }

    /** The names of the models unloaded on request (their folders stay on disk). */
    public synchronized Set<String> unloadedNames() {
        return Set.copyOf(unloaded);
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
        if (poller != null) {
            poller.shutdownNow();
        }
        List<LoadedModel> all = all();
        all.forEach(LoadedModel::close);
        log.info("Closed {} models", all.size());
    }
}
