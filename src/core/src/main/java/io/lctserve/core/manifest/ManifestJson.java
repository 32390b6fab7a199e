package io.lctserve.core.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** Reads and writes {@code manifest.json}: camelCase, unknown fields rejected, nulls left out. */
public final class ManifestJson {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .changeDefaultPropertyInclusion(incl -> incl.withValueInclusion(JsonInclude.Include.NON_NULL))
            .build();

    private static final JsonMapper COMPACT =
            MAPPER.rebuild().disable(SerializationFeature.INDENT_OUTPUT).build();

    private ManifestJson() {}

    /** Parses a manifest; throws Jackson's unchecked {@code JacksonException} on malformed JSON. */
    public static Manifest parse(String json) {
        return MAPPER.readValue(json, Manifest.class);
    }

    public static Manifest read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    public static String toJson(Manifest manifest) {
        return MAPPER.writeValueAsString(manifest) + "\n";
    }

    /** Any manifest value (a training record's network, say) as compact JSON, for comparing what files would say. */
    public static String valueJson(Object value) {
        return COMPACT.writeValueAsString(value);
    }

    public static void write(Manifest manifest, Path file) throws IOException {
        Files.writeString(file, toJson(manifest));
    }
}
