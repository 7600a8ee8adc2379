package io.tally.app.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The configuration a command reads besides {@link ConfigScope#CONNECTION}, which every command with
 * {@link ConfigOptions} reads. Its keys become the command's flags; a command without this annotation
 * takes the connection flags only.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ReadsConfig {
    ConfigScope[] value();
}
