package io.lctserve.bench;

import io.lctserve.core.data.ImageSet;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "baseline",
        mixinStandardHelpOptions = true,
        description =
                "The in-process ONNX Runtime loop (full mode: every stage, then the last head, batch 1) over the test"
                        + " images, through the runtime the server uses; prints its images/s. run-benchmarks.sh alternates it"
                        + " with the server's full mode.")
final class BaselineCommand implements Callable<Integer> {

    @Mixin
    TestImages input = new TestImages();

    @Option(
            names = "--concurrency",
            description = "Threads of the loop; it never waits on I/O, so one per core is its best."
                    + " Default: ${DEFAULT-VALUE}")
    int concurrency = 2;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads. Default: ${DEFAULT-VALUE}")
    int threads = 1;

    @Option(names = "--warmup", description = "Warm-up images. Default: ${DEFAULT-VALUE}")
    int warmup = 2000;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ImageSet test = input.test();
        try (InProcessBaseline inProcess = new InProcessBaseline(input.model(), threads)) {
            Measurement m = inProcess.run(test, concurrency, warmup);
            spec.commandLine()
                    .getOut()
                    .printf(
                            Locale.ROOT,
                            "in-process ONNX Runtime, %d threads: %.1f images/s, accuracy %.2f %%, cpu %.4f ms/image%n",
                            concurrency,
                            m.throughput(),
                            100.0 * m.correct() / test.size(),
                            inProcess.cpuNanosPerImage / 1e6);
        }
        return 0;
    }
}
