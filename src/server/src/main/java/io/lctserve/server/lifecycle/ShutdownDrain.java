package io.lctserve.server.lifecycle;

import io.lctserve.server.config.LctServeProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The first thing to stop at shutdown: readiness turns DOWN (REFUSING_TRAFFIC) and requests keep
 * being served for {@code lctserve.drain}, so Kubernetes takes the pod out of its Service before
 * the web server's graceful shutdown stops accepting connections and waits for in-flight work.
 * While it drains, every answer carries {@code Connection: close} (ResponseHeadersFilter reads the
 * readiness state), so that clients with kept-alive connections open new ones (to other pods)
 * instead of sending on a connection about to close.
 */
@Component
public class ShutdownDrain implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ShutdownDrain.class);
    private final ApplicationEventPublisher events;
    private final long drainMillis;
    private volatile boolean running;
    private volatile boolean stoppedBefore;

    public ShutdownDrain(ApplicationEventPublisher events, LctServeProperties properties) {
        this.events = events;
        this.drainMillis = properties.drain().toMillis();
    }

    /**
     * The first start leaves readiness to Spring Boot (ACCEPTING_TRAFFIC once the application is
     * ready); a start after a stop (a context stopped and started again, as Spring's test framework
     * does with idle contexts) takes back the REFUSING_TRAFFIC that the stop announced.
     */
    @Override
    public void start() {
        if (stoppedBefore) {
            AvailabilityChangeEvent.publish(events, this, ReadinessState.ACCEPTING_TRAFFIC);
        }
        running = true;
    }

    @Override
    public void stop() {
        AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
        if (drainMillis > 0) {
            log.info("Shutting down: readiness is DOWN, still serving for {} ms", drainMillis);
            try {
                Thread.sleep(drainMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stoppedBefore = true;
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the web server's graceful shutdown (and everything else). */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE;
    }
}
