package io.lctserve.trainer.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of the native libraries under DJL's libtorch that are read only from the environment when
 * they load, so a JVM started without them runs the trainer again in a child JVM that has them. A
 * user who sets one keeps their value.
 *
 * <ul>
 *   <li>{@code ONEDNN_MAX_CPU_ISA=AVX2}: on AMD EPYC machines with AVX-512 oneDNN's AVX-512 kernels
 *       sometimes return NaN gradients for a convolution's input (measured here: 4 of 6 one-epoch
 *       runs diverged at the first step, 0 of 9 with the cap).
 *   <li>glibc malloc keeps freed memory instead of returning every large tensor to the kernel
 *       ({@code MALLOC_MMAP_THRESHOLD_} 32 MiB, trim threshold 1 GiB, top pad 256 MiB): each training
 *       step allocates and frees activations of a few MiB, and mapping them anew page by page cost
 *       more kernel time than the convolutions themselves (one pipelined epoch on 6,400 images:
 *       195 img/s without, 472 img/s with; docs/TRAINING.md).
 * </ul>
 */
final class NativeSettings {

    static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";
    static final Map<String, String> SETTINGS = settings();

    private NativeSettings() {}

    private static Map<String, String> settings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(ISA_VARIABLE, "AVX2");
        m.put("MALLOC_MMAP_THRESHOLD_", Integer.toString(32 << 20));
        m.put("MALLOC_TRIM_THRESHOLD_", Integer.toString(1 << 30));
        m.put("MALLOC_TOP_PAD_", Integer.toString(256 << 20));
        return m;
    }

    /** Whether this JVM already runs with the settings (the child does; so does a user who set the cap). */
    static boolean isSet() {
        return System.getenv(ISA_VARIABLE) != null;
    }

    /** Runs {@code mainClass} with {@code args} in a child JVM like this one, with the settings; returns its exit code. */
    static int relaunch(Class<?> mainClass, String[] args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        ProcessBuilder child = new ProcessBuilder(command).inheritIO();
        SETTINGS.forEach((name, value) -> child.environment().putIfAbsent(name, value));
        return child.start().waitFor();
    }
}
