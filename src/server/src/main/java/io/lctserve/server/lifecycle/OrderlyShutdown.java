package io.lctserve.server.lifecycle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import sun.misc.Signal;

/**
 * SIGTERM (what Kubernetes sends) and SIGINT stop the application before the JVM's shutdown hooks
 * run, instead of alongside them. ONNX Runtime's Java binding registers a hook that frees its native
 * environment; the JVM starts every hook at once, so while Spring's hook was still draining and
 * answering, stages running on the batching workers used freed memory: a SIGSEGV in
 * libonnxruntime, the whole process gone with every request in flight (8 of 10 SIGTERMs under gRPC
 * load, {@code src/bench/shutdown-resets.sh}). Here the signal closes the application context first
 * (the drain, the graceful HTTP and gRPC shutdowns, the models closed), then the JVM exits with the
 * status the signal would have given it (128 + its number), and the hooks find nothing running. A
 * second signal while that runs ends the process at once, as a second Ctrl-C should.
 */
public final class OrderlyShutdown {

    private static final Logger log = LoggerFactory.getLogger(OrderlyShutdown.class);

    private OrderlyShutdown() {}

    /** Takes over SIGTERM and SIGINT for {@code context}; call once it has started. */
    public static void install(ConfigurableApplicationContext context) {
        Stopper stopper = new Stopper(context);
        try {
            Signal.handle(new Signal("TERM"), signal -> stopper.stop(signal, 143));
            Signal.handle(new Signal("INT"), signal -> stopper.stop(signal, 130));
        } catch (IllegalArgumentException taken) { // -Xrs, or a platform without these signals
            log.warn(
                    "SIGTERM and SIGINT stay with the JVM ({}): a signal under load may crash ONNX Runtime",
                    taken.getMessage());
        }
    }

    private static final class Stopper {
        private final ConfigurableApplicationContext context;
        private boolean stopping; // guarded by this

        Stopper(ConfigurableApplicationContext context) {
            this.context = context;
        }

        void stop(Signal signal, int status) {
            synchronized (this) {
                if (stopping) {
                    log.warn("SIG{} again while stopping: exiting now", signal.getName());
                    Runtime.getRuntime().halt(status);
                }
                stopping = true;
            }
            log.info("SIG{}: stopping the application before the JVM's shutdown hooks", signal.getName());
            Thread stopper = new Thread(
                    () -> {
                        try {
                            context.close();
                        } finally {
                            System.exit(status);
                        }
                    },
                    "lctserve-shutdown");
            // not a daemon (the signal's thread is one): with the context closed no other thread keeps the
            // JVM up, and it would end with status 0 before this thread's exit
            stopper.setDaemon(false);
            stopper.start();
        }
    }
}
