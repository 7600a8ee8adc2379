package io.tally.producer.http;

import io.javalin.Javalin;

/** One resource of the HTTP API; each registers its own endpoints. */
interface Routes {
    void register(Javalin app);
}
