package io.lctserve.server;

import io.lctserve.server.config.KServeArguments;
import io.lctserve.server.lifecycle.OrderlyShutdown;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Progressive-inference server: staged ONNX models that answer as soon as a head is sure. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class LctServeApplication {

    public static void main(String[] args) {
        OrderlyShutdown.install(SpringApplication.run(LctServeApplication.class, KServeArguments.translate(args)));
    }
}
