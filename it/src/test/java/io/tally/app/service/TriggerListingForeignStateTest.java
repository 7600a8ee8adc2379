package io.tally.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tally.common.internal.keys.Keys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Any program may write a partition's triggers hash: a trigger stored there that Tally cannot read (a
 * definition that is not JSON, a fire time that is not a number) is left out of a listing instead of
 * failing the listing of every other trigger, with or without a kind filter.
 */
class TriggerListingForeignStateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final ApiServerFixture api = ApiServerFixture.onTestRedis(2);

    private static final List<String> created = new ArrayList<>();

    @BeforeAll
    static void storeTriggers() throws Exception {
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = api.post("/v1/triggers", "{\"kind\":\"event\",\"eventType\":\"e" + i + "\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            created.add(JSON.readTree(r.body()).get("id").asText());
        }
        Keys keys = api.keys();
        RedissonClient redis = api.redis();
        for (int p = 0; p < 2; p++) {
            // what another program wrote: a definition that is not JSON, and a known trigger's fire time garbled
            redis.getMap(keys.triggers(p), StringCodec.INSTANCE).put("t" + p + "-01ARZ3NDEKTSV4RRFFQ69G5FAV", "{broken");
        }
        String garbled = created.get(0);
        int p = Integer.parseInt(garbled.substring(1, garbled.indexOf('-')));
        redis.getMap(keys.triggers(p), StringCodec.INSTANCE).put(garbled + ":lastFiredAt", "not a number");
    }

    @Test
    void triggersTallyCannotRead_areLeftOut_theOthersListed() throws Exception {
        assertThat(ids("/v1/triggers?limit=1000")).containsExactlyInAnyOrderElementsOf(created.subList(1, created.size()));
        assertThat(ids("/v1/triggers?limit=1000&kind=event")).containsExactlyInAnyOrderElementsOf(
                created.subList(1, created.size()));
    }

    private static List<String> ids(String path) throws Exception {
        HttpResponse<String> r = api.get(path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.hasNonNull("cursor")).as("one page holds them all").isFalse();
        List<String> ids = new ArrayList<>();
        body.get("triggers").forEach(t -> ids.add(t.get("id").asText()));
        return ids;
    }
}
