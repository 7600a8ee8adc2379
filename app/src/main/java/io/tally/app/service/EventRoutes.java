package io.tally.app.service;

import io.javalin.config.RoutesConfig;

/** {@code POST /v1/events}: appends a domain event to its type's partition. */
final class EventRoutes implements Routes {
    private final Sends sends;
    private final JsonBodies bodies;

    EventRoutes(Sends sends, JsonBodies bodies) {
        this.sends = sends;
        this.bodies = bodies;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/events", ctx -> sends.emit(ctx, Sends.event(bodies.object(ctx))));
    }
}
