package io.lctserve.server.api;

import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/** Finds the model a URL names, or says why it cannot serve (404, or 503 for a model that failed to load). */
@Component
public class ModelLookup {

    private final ModelRegistry registry;

    public ModelLookup(ModelRegistry registry) {
        this.registry = registry;
    }

    /** @param version null for the newest version */
    public LoadedModel find(String name, String version) {
        return registry.find(name, version).orElseThrow(() -> registry.failure(name, version)
                .map(reason -> new ApiException(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "model " + name + (version == null ? "" : " version " + version) + " failed to load: "
                                + reason))
                .orElseGet(() -> ApiException.notFound("unknown model " + name
                        + (version == null ? "" : " version " + version)
                        + (registry.versions(name).isEmpty() ? "" : "; versions: " + registry.versions(name)))));
    }
}
