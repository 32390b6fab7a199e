package io.lctserve.server.protocol;

import io.lctserve.server.inference.ModelLookup;
import io.lctserve.server.metrics.InferenceMetrics;
import io.lctserve.server.model.ModelRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Triton's statistics extension, one entry per model version as Triton gives them: every version
 * served, a model's versions, or one version, whichever the request names.
 */
@Component
public class Statistics {

    private final ModelRegistry registry;
    private final ModelLookup lookup;
    private final InferenceMetrics metrics;

    public Statistics(ModelRegistry registry, ModelLookup lookup, InferenceMetrics metrics) {
        this.registry = registry;
        this.lookup = lookup;
        this.metrics = metrics;
    }

    /**
     * @param name null for every model
     * @param version null for every version of {@code name}
     */
    public List<Map<String, Object>> of(String name, String version) {
        List<Map<String, Object>> stats = new ArrayList<>();
        if (name != null && version != null) {
            stats.add(metrics.model(lookup.find(name, version)).tritonStats());
            return stats;
        }
        List<String> names = name == null
                ? registry.names()
                : List.of(lookup.find(name, null).name());
        for (String n : names) {
            for (String v : registry.versions(n)) {
                registry.find(n, v).ifPresent(m -> stats.add(metrics.model(m).tritonStats()));
            }
        }
        return stats;
    }
}
