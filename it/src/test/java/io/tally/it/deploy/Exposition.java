package io.tally.it.deploy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric families of scrapes in the Prometheus text format 0.0.4: each family's name, type, label names
 * and the names of its samples ({@code _bucket}, {@code _count}, ... for a histogram). Several scrapes merge.
 */
final class Exposition {
    private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? \\S+.*");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"(?:[^\"\\\\]|\\\\.)*\"");

    /** A metric family as exposed. */
    record Family(String name, String type, Set<String> labels, Set<String> samples) {
    }

    private final Map<String, Family> families = new LinkedHashMap<>();

    /** Adds the families of one scrape. */
    Exposition add(String scrape) {
        Family current = null;
        for (String line : scrape.split("\n")) {
            Matcher type = TYPE.matcher(line);
            if (type.matches()) {
                current = families.computeIfAbsent(type.group(1),
                        n -> new Family(n, type.group(2), new TreeSet<>(), new TreeSet<>()));
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            if (line.startsWith("#") || !sample.matches()) {
                continue;
            }
            if (current == null || !sample.group(1).startsWith(current.name())) {
                throw new IllegalStateException("sample outside its family: " + line);
            }
            current.samples().add(sample.group(1));
            if (sample.group(2) != null) {
                Matcher label = LABEL.matcher(sample.group(2));
                while (label.find()) {
                    current.labels().add(label.group(1));
                }
            }
        }
        return this;
    }

    Map<String, Family> families() {
        return families;
    }

    /** Every name a query can select: family names and the names of their samples. */
    Set<String> seriesNames() {
        Set<String> names = new TreeSet<>(families.keySet());
        families.values().forEach(f -> names.addAll(f.samples()));
        return names;
    }
}
