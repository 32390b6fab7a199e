package io.lctserve.server.http.edge;

import java.util.List;
import java.util.Map;
import org.springframework.http.server.PathContainer;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * The URLs of inference calls over HTTP: the controllers map them and the edge admits them, from
 * these constants, so the two cannot disagree on what an inference call is.
 */
public final class InferenceRoutes {

    public static final String INFER = "/v2/models/{name}/infer";
    public static final String INFER_VERSION = "/v2/models/{name}/versions/{version}/infer";
    public static final String INFER_STREAM = "/v2/models/{name}/infer_stream";
    public static final String INFER_STREAM_VERSION = "/v2/models/{name}/versions/{version}/infer_stream";
    public static final String CLASSIFY = "/v1/models/{name}/classify";
    public static final String CLASSIFY_VERSION = "/v1/models/{name}/versions/{version}/classify";

    private static final List<PathPattern> ALL =
            List.of(INFER, INFER_VERSION, INFER_STREAM, INFER_STREAM_VERSION, CLASSIFY, CLASSIFY_VERSION).stream()
                    .map(PathPatternParser.defaultInstance::parse)
                    .toList();

    private InferenceRoutes() {}

    /** The model a request path names, if it is an inference call. */
    public record Target(String name, String version) {}

    /** The call's model when {@code path} is an inference route, else null. */
    static Target match(String path) {
        PathContainer container = PathContainer.parsePath(path);
        for (PathPattern pattern : ALL) {
            PathPattern.PathMatchInfo info = pattern.matchAndExtract(container);
            if (info != null) {
                Map<String, String> v = info.getUriVariables();
                return new Target(v.get("name"), v.get("version"));
            }
        }
        return null;
    }
}
