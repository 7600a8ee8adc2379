package io.tally.app.cli;

import io.tally.common.config.TallyConfig;
import io.tally.common.internal.keys.Keys;
import io.tally.common.internal.keys.Partitioner;
import io.tally.common.internal.redis.Namespace;
import io.tally.testkit.RealRedisExtension;
import io.tally.testkit.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tally counters} lists one page of about {@code --limit} rows (at most twice it), sorted, and says on stderr how to go
 * on; following that lists every counter once, and {@code --all} lists them all in one call. The counters are
 * written straight into the partitions' hashes, and nothing writes while a test lists them: the listing's
 * contract allows a repeat only when Redis resizes a hash meanwhile.
 */
@ExtendWith(RealRedisExtension.class)
class CountersCliTest {
    private static final int PARTITIONS = 4;
    private static final int COUNTERS = 2_500;
    private static final String MORE = "more: tally counters ";

    private static String url;
    private static String namespace;

    @BeforeAll
    static void fill(TestRedis testRedis) {
        TallyConfig config = testRedis.config(PARTITIONS).build();
        url = testRedis.url();
        namespace = config.namespace();
        RedissonClient redis = testRedis.client();
        try {
            Keys keys = Namespace.keys(redis, namespace);
            Partitioner partitioner = new Partitioner(PARTITIONS);
            List<Map<String, String>> byPartition = new ArrayList<>();
            IntStream.range(0, PARTITIONS).forEach(p -> byPartition.add(new HashMap<>()));
            for (int i = 0; i < COUNTERS; i++) {
                byPartition.get(partitioner.partitionOf(name(i))).put(name(i), Integer.toString(i));
            }
            for (int p = 0; p < PARTITIONS; p++) {
                redis.<String, String>getMap(keys.counters(p), StringCodec.INSTANCE).putAll(byPartition.get(p), 1000);
            }
        } finally {
            redis.shutdown();
        }
    }

    @Test
    void aLimit_printsThatManyRowsSortedByName_andOnStderrHowToGoOn() {
        TallyCliTest.Run page = tally("counters", "--limit", "100");

        assertThat(page.code()).as(page.err()).isZero();
        List<String> names = names(page.out());
        assertThat(names).hasSize(100).isSorted().doesNotHaveDuplicates();
        assertThat(allNames()).containsAll(names);
        for (String row : page.out().lines().toList()) {
            assertThat(row).as("name and value").matches("c:(\\d{4})\\s+\\d+");
            assertThat(row.split("\\s+")[1]).as(row).isEqualTo(Integer.toString(Integer.parseInt(row.substring(2, 6))));
        }
        assertThat(page.err().lines().toList()).hasSize(1);
        assertThat(page.err().strip()).matches("more: tally counters --limit 100 --cursor [A-Za-z0-9_-]+");
    }

    @Test
    void followingTheCursors_listsEveryCounterExactlyOnce() {
        List<String> names = follow(100);

        assertThat(names).hasSize(COUNTERS).doesNotHaveDuplicates();
        assertThat(new HashSet<>(names)).isEqualTo(allNames());
    }

    @Test
    void followingTheCursorsOfAPrefix_listsEveryCounterItMatchesOnce() {
        List<String> names = follow(300, "--prefix", "c:1");

        assertThat(names).doesNotHaveDuplicates();
        assertThat(new HashSet<>(names)).isEqualTo(allNames().stream().filter(n -> n.startsWith("c:1"))
                .collect(Collectors.toSet()));
    }

    @Test
    void all_printsEveryCounterInOneCall_pageAfterPage() {
        TallyCliTest.Run all = tally("counters", "--all", "--limit", "100");

        assertThat(all.code()).as(all.err()).isZero();
        assertThat(all.err()).isEmpty();
        List<String> names = names(all.out());
        assertThat(names).hasSize(COUNTERS).doesNotHaveDuplicates();
        assertThat(new HashSet<>(names)).isEqualTo(allNames());
        assertThat(names(tally("counters", "--all").out())).hasSize(COUNTERS);
    }

    @Test
    void aLimitOutOfRange_orACursorNotGiven_exits2NamingTheOption() {
        for (String limit : List.of("0", "10001")) {
            TallyCliTest.Run bad = tally("counters", "--limit", limit);
            assertThat(bad.code()).as(bad.out()).isEqualTo(2);
            assertThat(bad.out()).isEmpty();
            assertThat(bad.err().strip())
                    .isEqualTo("tally counters: Invalid value " + limit + " for --limit: must be from 1 to 10000");
        }
        TallyCliTest.Run garbage = tally("counters", "--cursor", "garbage");
        assertThat(garbage.code()).as(garbage.out()).isEqualTo(2);
        assertThat(garbage.out()).isEmpty();
        assertThat(garbage.err().strip()).isEqualTo("tally counters: Invalid value 'garbage' for --cursor: cursor is not "
                + "one a counter listing of this namespace returned; start again without a cursor");
    }

    @Test
    void noCounters_saysSo() {
        TallyCliTest.Run none = tally("counters", "--prefix", "nothing");

        assertThat(none.code()).isZero();
        assertThat(none.out().strip()).isEqualTo("no counters start with 'nothing'");
        assertThat(none.err()).isEmpty();
    }

    /**
     * Runs {@code tally counters --limit limit options} and each command its {@code more:} line gives, until
     * there is none; the names of every page.
     */
    private static List<String> follow(int limit, String... options) {
        List<String> names = new ArrayList<>();
        List<String> next = new ArrayList<>(List.of("counters", "--limit", Integer.toString(limit)));
        next.addAll(List.of(options));
        for (int pages = 1; ; pages++) {
            TallyCliTest.Run page = tally(next.toArray(String[]::new));
            assertThat(page.code()).as(page.err()).isZero();
            assertThat(names(page.out())).as("about --limit, at most twice it").hasSizeLessThanOrEqualTo(2 * limit).isSorted();
            names.addAll(names(page.out()));
            List<String> more = page.err().lines().filter(l -> l.startsWith(MORE)).toList();
            if (more.isEmpty()) {
                assertThat(page.err()).isEmpty();
                return names;
            }
            assertThat(pages).as("pages").isLessThan(100);
            next = new ArrayList<>(List.of("counters"));
            next.addAll(Arrays.asList(more.get(0).substring(MORE.length()).split(" ")));
        }
    }

    private static TallyCliTest.Run tally(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--redis-url", url, "--namespace", namespace));
        return TallyCliTest.run(all.toArray(String[]::new));
    }

    /** The names of the rows printed. */
    private static List<String> names(String out) {
        return out.lines().map(l -> l.split("\\s+")[0]).toList();
    }

    private static Set<String> allNames() {
        return IntStream.range(0, COUNTERS).mapToObj(CountersCliTest::name).collect(Collectors.toSet());
    }

    /** Four digits, so that names sort as their numbers do. */
    private static String name(int i) {
        return String.format("c:%04d", i);
    }
}
