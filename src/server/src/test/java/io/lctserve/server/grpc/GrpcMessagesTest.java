package io.lctserve.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class GrpcMessagesTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void aListOfLabelsIsTheJsonTheMapperWrites() {
        List<String> labels = List.of("T-shirt/top", "say \"hi\"", "back\\slash", "tab\tnew\nline", "é ☃", "");
        assertThat(GrpcMessages.parameter(labels, json).getStringParam()).isEqualTo(json.writeValueAsString(labels));
        assertThat(GrpcMessages.parameter(List.of(), json).getStringParam()).isEqualTo("[]");
    }

    @Test
    void otherListsAndMapsGoThroughTheMapper() {
        List<Object> mixed = List.of("a", 1, 2.5);
        Map<String, Object> live = Map.of("preset", "balanced");
        assertThat(GrpcMessages.parameter(mixed, json).getStringParam()).isEqualTo("[\"a\",1,2.5]");
        assertThat(GrpcMessages.parameter(live, json).getStringParam()).isEqualTo("{\"preset\":\"balanced\"}");
    }
}
