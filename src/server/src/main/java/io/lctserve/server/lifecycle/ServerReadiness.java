package io.lctserve.server.lifecycle;

import io.lctserve.server.model.ModelRegistry;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.stereotype.Component;

/**
 * Whether the server takes inference requests now, one answer for every transport: models loaded
 * and not draining for shutdown (the same as {@code /actuator/health/readiness}).
 */
@Component
public class ServerReadiness {

    private final ModelRegistry registry;
    private final ApplicationAvailability availability;

    public ServerReadiness(ModelRegistry registry, ApplicationAvailability availability) {
        this.registry = registry;
        this.availability = availability;
    }

    public boolean ready() {
        return !registry.all().isEmpty() && availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC;
    }
}
