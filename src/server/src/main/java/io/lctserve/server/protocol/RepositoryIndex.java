package io.lctserve.server.protocol;

import io.lctserve.server.model.LoadedModel;
import io.lctserve.server.model.ModelRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of Triton's repository index: a model version the repository holds, READY or
 * UNAVAILABLE with why (a folder that failed validation, or a model unloaded through the API).
 */
public record RepositoryIndex(String name, String version, String state, String reason) {

    public static final String READY = "READY";

    public static List<RepositoryIndex> of(ModelRegistry registry) {
        List<RepositoryIndex> index = new ArrayList<>();
        for (LoadedModel m : registry.all()) {
            index.add(new RepositoryIndex(m.name(), m.version(), READY, ""));
        }
        registry.failures().forEach((key, reason) -> {
            String[] nv = key.split("/", 2);
            if (nv.length == 2 && registry.find(nv[0], nv[1]).isEmpty()) {
                index.add(new RepositoryIndex(nv[0], nv[1], "UNAVAILABLE", reason));
            }
        });
        for (String name : registry.unloadedNames()) {
            index.add(new RepositoryIndex(name, "", "UNAVAILABLE", "unloaded"));
        }
        return index;
    }
}
