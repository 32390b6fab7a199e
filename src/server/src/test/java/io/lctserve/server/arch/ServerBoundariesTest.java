package io.lctserve.server.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The server ships without the trainer: no DJL, no libtorch, no trainer classes. */
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

    @Test
    void inferenceAndModelsKnowNothingOfHttp() {
        noClasses()
                .that()
                .resideInAnyPackage("io.lctserve.server.inference..", "io.lctserve.server.model..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.lctserve.server.api..", "org.springframework.web..", "org.springframework.http..")
                .check(server);
    }
}
