package io.lctserve.server.config;

import java.util.Arrays;
import java.util.Map;

/**
 * The flags KServe's serving runtimes pass their server ({@code --model_name={{.Name}}},
 * {@code --model_dir=/mnt/models}, {@code --http_port=8080}, {@code --grpc_port=9000}), read as
 * lctserve's own settings. Only command-line arguments are translated: as environment variables
 * these names would collide with what Kubernetes injects for a Service called "http" or "grpc".
 */
public final class KServeArguments {

    static final Map<String, String> FLAGS = Map.of(
            "--model_name", "--lctserve.model-name",
            "--model_dir", "--lctserve.model-repository",
            "--http_port", "--server.port",
            "--grpc_port", "--lctserve.grpc.port");

    private KServeArguments() {}

    /** {@code args} with KServe's flags ({@code --flag=value} or {@code --flag value}) renamed. */
    public static String[] translate(String[] args) {
        String[] out = Arrays.copyOf(args, args.length);
        for (int i = 0; i < out.length; i++) {
            String arg = out[i];
            int eq = arg.indexOf('=');
            String flag = eq < 0 ? arg : arg.substring(0, eq);
            String ours = FLAGS.get(flag);
            if (ours == null) {
                continue;
            }
            if (eq >= 0) {
                out[i] = ours + arg.substring(eq);
            } else if (i + 1 < out.length) { // "--flag value": Spring reads only "--name=value"
                out[i] = ours + "=" + out[i + 1];
                out[i + 1] = "";
                i++;
            }
        }
        return Arrays.stream(out).filter(a -> !a.isEmpty()).toArray(String[]::new);
    }
}
