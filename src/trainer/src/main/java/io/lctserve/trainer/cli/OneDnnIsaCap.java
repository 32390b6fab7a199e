package io.lctserve.trainer.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Caps oneDNN (the convolution library inside DJL's libtorch) at AVX2. On AMD EPYC machines with
 * AVX-512 its AVX-512 kernels sometimes return NaN gradients for a convolution's input (measured
 * here: 4 of 6 one-epoch runs diverged at the first step, 0 of 9 with the cap). oneDNN reads
 * {@value #VARIABLE} only from the environment when libtorch loads, so a JVM started without it
 * runs the trainer again in a child JVM that has it. A user who sets the variable keeps their value.
 */
final class OneDnnIsaCap {

    static final String VARIABLE = "ONEDNN_MAX_CPU_ISA";
    static final String CAP = "AVX2";

    private OneDnnIsaCap() {}

    static boolean isSet() {
        return System.getenv(VARIABLE) != null;
    }

    /** Runs {@code mainClass} with {@code args} in a child JVM like this one, with the cap; returns its exit code. */
    static int relaunch(Class<?> mainClass, String[] args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        ProcessBuilder child = new ProcessBuilder(command).inheritIO();
        child.environment().put(VARIABLE, CAP);
        return child.start().waitFor();
    }
}
