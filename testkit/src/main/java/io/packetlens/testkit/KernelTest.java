package io.packetlens.testkit;

import static java.lang.annotation.ElementType.METHOD;
import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that needs root and the real kernel. Outside CI it is skipped when not root; under
 * {@code CI=true} a test that cannot run fails instead, so a misconfigured runner cannot pass by skipping everything.
 */
@Documented
@Retention(RUNTIME)
@Target({TYPE, METHOD})
@ExtendWith(KernelTestCondition.class)
public @interface KernelTest {
}
