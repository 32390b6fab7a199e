package io.lctserve.server.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.Yaml;

/** helm template of helm/lctserve from tests, read back as maps. */
final class Chart {

    static final Path PATH = Path.of("helm/lctserve");

    private Chart() {}

    /** Renders the chart with {@code --set} pairs; returns every manifest keyed by "Kind/name". */
    static Map<String, Map<String, Object>> render(Map<String, Object> values) {
        TemplateCommand template = new Helm(PATH).template().withName("demo").withNamespace("serving");
        values.forEach(template::set);
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(template.call())) {
            if (doc != null) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) doc;
                docs.add(m);
            }
        }
        return docs.stream().collect(Collectors.toMap(d -> d.get("kind") + "/" + path(d, "metadata", "name"), d -> d));
    }

    @SuppressWarnings("unchecked")
    static <T> T path(Object node, Object... keys) {
        Object current = node;
        for (Object key : keys) {
            current = key instanceof Integer i
                    ? ((List<Object>) current).get(i)
                    : ((Map<String, Object>) current).get(key);
            if (current == null) {
                return null;
            }
        }
        return (T) current;
    }
}
