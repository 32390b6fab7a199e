package io.lctserve.server.protocol;

import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.stereotype.Component;

/** What the server metadata of either transport says: name, version and the protocol extensions. */
@Component
public class ServerIdentity {

    /**
     * Extensions of the Open Inference Protocol (Triton's names) that the server has: binary tensor
     * data, classification (class_count), parameters, and over HTTP the model repository, model
     * configuration and statistics; lctserve's own is progressive inference (the knob).
     */
    public static final List<String> EXTENSIONS = List.of(
            "binary_tensor_data",
            "classification",
            "parameters",
            "model_repository",
            "model_configuration",
            "statistics",
            "lctserve_progressive_inference");

    private final String version;

    public ServerIdentity(ObjectProvider<BuildProperties> build) {
        BuildProperties props = build.getIfAvailable();
        this.version = props == null ? "dev" : props.getVersion();
    }

    public String name() {
        return "lctserve";
    }

    public String version() {
        return version;
    }
}
