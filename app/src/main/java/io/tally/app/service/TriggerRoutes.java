package io.tally.app.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.tally.common.trigger.Trigger;
import io.tally.common.internal.trigger.TriggerJson;
import io.tally.common.trigger.TriggerKind;
import io.tally.common.trigger.TriggerStatus;
import io.tally.producer.triggers.TriggerClient;
import io.tally.producer.triggers.TriggerPage;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * {@code /v1/triggers}: create (201 with the stored trigger and its id), read, list with optional
 * {@code status} and {@code kind} filters, and cancel. An invalid definition or id is a 400 naming the
 * field ({@link io.tally.common.trigger.InvalidTriggerException}, mapped by {@link Problems}).
 */
final class TriggerRoutes implements Routes {
    /** Most triggers of one page of GET /v1/triggers: a trigger may be up to ~64 KiB of JSON. */
    static final int MAX_LIMIT = TriggerClient.MAX_PAGE_LIMIT;

    private final TriggerClient triggers;
    private final JsonBodies bodies;
    private final ObjectMapper json;

    TriggerRoutes(TriggerClient triggers, JsonBodies bodies, ObjectMapper json) {
        this.triggers = triggers;
        this.bodies = bodies;
        this.json = json;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v1/triggers", this::create);
        routes.get("/v1/triggers", this::list);
        routes.get("/v1/triggers/{id}", ctx -> answer(ctx, triggers.get(ctx.pathParam("id")), ctx.pathParam("id")));
        routes.delete("/v1/triggers/{id}", ctx -> answer(ctx, triggers.cancel(ctx.pathParam("id")), ctx.pathParam("id")));
    }

    private void create(Context ctx) {
        // JsonBodies enforces the size limit and answers malformed JSON; TriggerJson checks the fields.
        ObjectNode body = bodies.object(ctx);
        Trigger created = triggers.create(TriggerJson.parseDefinition(body.toString()));
        ctx.status(201).header("Location", "/v1/triggers/" + created.id());
        write(ctx, created.toJson());
    }

    private void list(Context ctx) {
        String status = Queries.single(ctx, "status");
        String kind = Queries.single(ctx, "kind");
        TriggerStatus onlyStatus = status == null || status.isEmpty() ? null : TriggerStatus.parse(status);
        TriggerKind onlyKind = kind == null || kind.isEmpty() ? null : TriggerKind.parse(kind);
        int limit = Queries.intParam(ctx, "limit", 100, 1, MAX_LIMIT);
        TriggerPage page;
        try {
            page = triggers.listPage(onlyStatus, onlyKind, Queries.single(ctx, "cursor"), limit);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.badRequest("cursor", e.getMessage());
        }
        ObjectNode reply = json.createObjectNode();
        ArrayNode items = reply.putArray("triggers");
        for (Trigger t : page.triggers()) {
            items.add(tree(t.toJson()));
        }
        if (page.cursor() != null) {
            reply.put("cursor", page.cursor());
        }
        write(ctx, reply.toString());
    }

    private void answer(Context ctx, Optional<Trigger> trigger, String id) {
        Trigger t = trigger.orElseThrow(() -> ApiProblem.notFound("trigger '" + id + "' does not exist")
                .with("id", id));
        write(ctx, t.toJson());
    }

    private ObjectNode tree(String text) {
        try {
            return (ObjectNode) json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Context ctx, String body) {
        ctx.contentType("application/json").result(body);
    }
}
