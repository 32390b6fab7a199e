package io.lctserve.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KServeArgumentsTest {

    @Test
    void kservesFlagsBecomeLctservesSettingsAndOthersPassUnchanged() {
        assertThat(KServeArguments.translate(new String[] {
                    "--model_name=fm",
                    "--model_dir=/mnt/models",
                    "--http_port",
                    "8080",
                    "--grpc_port=9000",
                    "--lctserve.drain=5s",
                    "--model_names=x"
                }))
                .containsExactly(
                        "--lctserve.model-name=fm",
                        "--lctserve.model-repository=/mnt/models",
                        "--server.port=8080",
                        "--lctserve.grpc.port=9000",
                        "--lctserve.drain=5s",
                        "--model_names=x");
    }
}
