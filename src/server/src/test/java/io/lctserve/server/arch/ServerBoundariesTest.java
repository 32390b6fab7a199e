package io.lctserve.server.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.concurrent.ExecutorService;
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
                        "io.lctserve.server.http..",
                        "io.lctserve.server.grpc..",
                        "io.lctserve.server.protocol..",
                        "org.springframework.web..",
                        "org.springframework.http..",
                        "io.grpc..",
                        "io.lctserve.protocol..")
                .check(server);
    }

    /** The protocol's neutral model is what both transports share: it knows neither of them. */
    @Test
    void theProtocolModelKnowsNoTransport() {
        noClasses()
                .that()
                .resideInAPackage("io.lctserve.server.protocol..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.lctserve.server.http..",
                        "io.lctserve.server.grpc..",
                        "org.springframework.web..",
                        "org.springframework.http..",
                        "jakarta.servlet..",
                        "io.grpc..",
                        "io.lctserve.protocol..")
                .check(server);
    }

    /** HTTP and gRPC are siblings: neither stands on the other's classes. */
    @Test
    void theTransportsAreSiblings() {
        noClasses()
                .that()
                .resideInAPackage("io.lctserve.server.grpc..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.lctserve.server.http..")
                .check(server);
        noClasses()
                .that()
                .resideInAPackage("io.lctserve.server.http..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.lctserve.server.grpc..", "io.grpc..", "io.lctserve.protocol..")
                .check(server);
    }

    /** Every pool is owned by a bean that closes it: none hides in a static field. */
    @Test
    void noStaticThreadPools() {
        noFields()
                .that()
                .areStatic()
                .should()
                .haveRawType(JavaClass.Predicates.assignableTo(ExecutorService.class))
                .check(server);
    }
}
