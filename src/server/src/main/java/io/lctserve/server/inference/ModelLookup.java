package io.lctserve.server.inference;

import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import org.springframework.stereotype.Component;

/** Finds the model a request names, or says why it cannot be served (not found, or failed to load). */
@Component
public class ModelLookup {

    private final ModelRegistry registry;

    public ModelLookup(ModelRegistry registry) {
        this.registry = registry;
    }

    /** @param version null for the newest version */
    public LoadedModel find(String name, String version) {
        return registry.find(name, version).orElseThrow(() -> registry.failure(name, version)
                .map(reason -> new InferenceException(
                        InferenceException.Kind.UNAVAILABLE,
                        "model " + name + (version == null ? "" : " version " + version) + " failed to load: "
                                + reason))
                .orElseGet(() -> new InferenceException(
                        InferenceException.Kind.NOT_FOUND,
                        "unknown model " + name
                                + (version == null ? "" : " version " + version)
                                + (registry.versions(name).isEmpty()
                                        ? ""
                                        : "; versions: " + registry.versions(name)))));
    }
}
