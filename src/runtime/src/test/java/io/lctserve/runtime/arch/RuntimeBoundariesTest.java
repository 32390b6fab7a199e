package io.lctserve.runtime.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.Test;

/** The runtime sits on core and ONNX Runtime only: the server, trainer and bench build on it, never the reverse. */
class RuntimeBoundariesTest {

    private final JavaClasses runtime = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.lctserve.runtime");

    @Test
    void runtimeDependsOnNeitherSpringNorDjl() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.springframework..", "io.micrometer..", "ai.djl..")
                .check(runtime);
    }

    @Test
    void runtimeDependsOnNoModuleAboveIt() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.lctserve.trainer..", "io.lctserve.server..", "io.lctserve.bench..")
                .check(runtime);
    }

    /** Every pool is owned by something that closes it: none hides in a static field that every model shares. */
    @Test
    void noStaticThreadPools() {
        noFields()
                .that()
                .areStatic()
                .should()
                .haveRawType(JavaClass.Predicates.assignableTo(ExecutorService.class))
                .check(runtime);
    }
}
