package io.lctserve.server.health;

import io.lctserve.server.model.ModelRegistry;
import java.util.List;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Readiness of the model repository ({@code models} in the readiness group): UP once at least one
 * model serves; the details list every loaded model and every folder that failed (named within the
 * repository), with why.
 */
@Component("models")
public class ModelsHealthIndicator implements HealthIndicator {

    private final ModelRegistry registry;

    public ModelsHealthIndicator(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Health health() {
        List<String> loaded =
                registry.all().stream().map(m -> m.name() + "/" + m.version()).toList();
        Health.Builder health = loaded.isEmpty() ? Health.down() : Health.up();
        health.withDetail("loaded", loaded); // no paths: where the repository sits is the server's business
        if (!registry.failures().isEmpty()) {
            health.withDetail("failed", registry.failures());
        }
        return health.build();
    }
}
