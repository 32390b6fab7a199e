package io.lctserve.server.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The server ships without the trainer (no DJL, no libtorch) and runs models through the runtime only. */
class ServerBoundariesTest {

    private final JavaClasses server = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.lctserve.server");

    @Test
    void serverNeverDependsOnTheTrainerOrDjl() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.lctserve.trainer..", "ai.djl..")
                .check(server);
    }

    /** Sessions, tensors and the staged walk live in src/runtime; the server only sees its failures. */
    @Test
    void onlyTheRuntimeTouchesOnnxRuntime() {
        noClasses()
                .should()
                .dependOnClassesThat(resideInAPackage("ai.onnxruntime..").and(not(name("ai.onnxruntime.OrtException"))))
                .check(server);
    }

    /** Both transports, HTTP and gRPC, call one inference path; it knows neither. */
    @Test
    void inferenceAndModelsKnowNothingOfHttp() {
        noClasses()
                .that()
                .resideInAnyPackage("io.lctserve.server.inference..", "io.lctserve.server.model..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.lctserve.server.api..",
                        "org.springframework.web..",
                        "org.springframework.http..",
                        "io.grpc..",
                        "io.lctserve.protocol..")
                .check(server);
    }
}
