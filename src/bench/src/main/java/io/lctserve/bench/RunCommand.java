package io.lctserve.bench;

import io.lctserve.core.data.ImageSet;
import io.lctserve.core.model.StagedModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = "Sends every test image once (batch 1) to a running server for each scenario, checks every"
                + " answer, and prints one markdown table: throughput, latency, accuracy, exit depth, MACs.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--url", description = "Server base URL. Default: ${DEFAULT-VALUE}")
    String url = "http://localhost:8080";

    @Mixin
    TestImages input = new TestImages();

    @Option(names = "--concurrency", description = "Requests in flight. Default: ${DEFAULT-VALUE}")
    int concurrency = 2;

    @Option(names = "--warmup", description = "Warm-up requests per scenario. Default: ${DEFAULT-VALUE}")
    int warmup = 500;

    @Option(
            names = "--scenario",
            paramLabel = "NAME=JSON",
            description = "Scenario name and V2 parameters; repeatable."
                    + " Default: full, early_exit at 0.9, and each preset of the model.")
    Map<String, String> scenarios;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        StagedModel model = input.model();
        ImageSet test = input.test();
        Map<String, String> plan = scenarios != null ? scenarios : defaults(model);
        HttpLoad load = new HttpLoad(url, model.manifest().name(), test);
        List<Measurement> results = new ArrayList<>();
        for (Map.Entry<String, String> s : plan.entrySet()) {
            out.printf("running %s (%s) ...%n", s.getKey(), s.getValue());
            out.flush();
            results.add(load.run(s.getKey(), s.getValue(), concurrency, warmup));
        }
        double full = results.stream()
                .filter(m -> m.scenario().equals("full"))
                .findFirst()
                .orElse(results.get(0))
                .throughput();
        out.printf(
                Locale.ROOT,
                "%n%d test images per scenario, batch 1, %d requests in flight;"
                        + " \"vs full\" is throughput relative to the server's full mode in this run.%n%n",
                test.size(),
                concurrency);
        out.println(Measurement.header());
        for (Measurement m : results) {
            out.println(m.row(full));
        }
        return 0;
    }

    private static Map<String, String> defaults(StagedModel model) {
        Map<String, String> plan = new LinkedHashMap<>();
        plan.put("full", "{\"mode\":\"full\"}");
        plan.put("early_exit t=0.9", "{\"threshold\":0.9}");
        for (String preset : List.of("accurate", "balanced", "fast")) {
            if (model.manifest().presets().containsKey(preset)) {
                plan.put("preset " + preset, "{\"preset\":\"" + preset + "\"}");
            }
        }
        plan.put("ensemble", "{\"mode\":\"ensemble\"}");
        return plan;
    }
}
