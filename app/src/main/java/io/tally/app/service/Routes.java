package io.tally.app.service;

import io.javalin.config.RoutesConfig;

/** One resource of the HTTP API; each registers its own endpoints. */
interface Routes {
    void register(RoutesConfig routes);
}
