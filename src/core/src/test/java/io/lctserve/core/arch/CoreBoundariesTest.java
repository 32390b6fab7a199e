package io.lctserve.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** core is the shared format: every module reads it, so it must not drag in any runtime. */
class CoreBoundariesTest {

    private final JavaClasses core = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.lctserve.core");

    @Test
    void coreDependsOnNeitherSpringNorDjlNorOnnxRuntime() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.springframework..", "ai.djl..", "ai.onnxruntime..")
                .check(core);
    }

    @Test
    void coreDependsOnNoOtherModule() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.lctserve.trainer..", "io.lctserve.server..", "io.lctserve.bench..")
                .check(core);
    }
}
