package io.lctserve.trainer.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The trainer evaluates and calibrates what it exports through the runtime the server serves it
 * with; it never reaches into the server or the bench.
 */
class TrainerBoundariesTest {

    private final JavaClasses trainer = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.lctserve.trainer");

    @Test
    void trainerDependsOnNeitherServerNorBench() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.lctserve.server..", "io.lctserve.bench..", "org.springframework..")
                .check(trainer);
    }

    /** The one exception: export-submodel checks a joined graph that is no staged model. */
    @Test
    void stagedGraphsRunThroughTheRuntimeOnly() {
        noClasses()
                .that()
                .doNotHaveFullyQualifiedName("io.lctserve.trainer.cli.ExportSubmodelCommand")
                .should()
                .dependOnClassesThat(resideInAPackage("ai.onnxruntime..").and(not(name("ai.onnxruntime.OrtException"))))
                .check(trainer);
    }
}
