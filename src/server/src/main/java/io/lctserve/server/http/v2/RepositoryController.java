package io.lctserve.server.http.v2;

import io.lctserve.server.config.LctServeProperties;
import io.lctserve.server.http.edge.ApiException;
import io.lctserve.server.model.ModelRegistry;
import io.lctserve.server.protocol.RepositoryIndex;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Triton's model repository extension: the index of what the repository holds and in what state,
 * and loading or unloading a model by name (off unless {@code lctserve.repository.control}: the
 * repository on disk is the normal way to change models, and it is followed on its own).
 */
@RestController
@RequestMapping(path = "/v2/repository", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "Model repository (Triton's extension)")
class RepositoryController {

    private final ModelRegistry registry;
    private final boolean control;

    RepositoryController(ModelRegistry registry, LctServeProperties properties) {
        this.registry = registry;
        this.control = properties.repository().control();
    }

    @PostMapping("/index")
    @Operation(summary = "Every model version the repository holds, READY or UNAVAILABLE with why")
    List<RepositoryIndex> index() {
        return RepositoryIndex.of(registry);
    }

    @PostMapping("/models/{name}/load")
    @Operation(summary = "Serve a model as the repository holds it now (needs lctserve.repository.control)")
    Map<String, Object> load(@PathVariable String name) {
        requireControl();
        List<String> changes = registry.load(name);
        if (registry.versions(name).isEmpty()) {
            throw new ApiException(
                    HttpStatus.BAD_REQUEST,
                    registry.failure(name, null)
                            .map(reason -> "model " + name + " cannot be loaded: " + reason)
                            .orElse("no model folder " + name + " in the repository"));
        }
        return Map.of("name", name, "versions", registry.versions(name), "changes", changes);
    }

    @PostMapping("/models/{name}/unload")
    @Operation(summary = "Stop serving a model; requests in flight are answered (needs lctserve.repository.control)")
    Map<String, Object> unload(@PathVariable String name) {
        requireControl();
        return Map.of("name", name, "changes", registry.unload(name));
    }

    private void requireControl() {
        if (!control) {
            throw new ApiException(
                    HttpStatus.FORBIDDEN,
                    "loading and unloading models through the API is off;"
                            + " change the repository on disk, or set lctserve.repository.control=true");
        }
    }
}
