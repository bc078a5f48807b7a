package dev.switchboard.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;
import java.util.List;

/**
 * Apicurio's config-index extension (whose build step lists the properties an admin may change
 * at run time) has no deployment artifact on Maven Central, so it is left out of the build
 * (see pom.xml) and this stands in for the bean it would have made: no property is dynamic;
 * everything is configured at start, which is all the tests need.
 */
@ApplicationScoped
public class NoDynamicConfigProperties {
    @Produces
    @ApplicationScoped
    DynamicConfigPropertyList dynamicConfigProperties() {
        return new DynamicConfigPropertyList(List.of());
    }
}
