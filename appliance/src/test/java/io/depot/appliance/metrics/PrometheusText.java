package io.depot.appliance.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format 0.0.4 (as Prometheus parses a scrape):
 * HELP and TYPE comments, then samples {@code name{label="value",...} value}; throws on any line
 * that is not one of these, on a bad escape, on a sample whose family has no TYPE, or on a value
 * that is not a float.
 */
public final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern TYPE = Pattern.compile("# TYPE (" + NAME.pattern() + ") (counter|gauge|histogram|summary|untyped)");
    private static final Pattern HELP = Pattern.compile("# HELP (" + NAME.pattern() + ") .*");
    private static final Pattern SAMPLE = Pattern.compile("(" + NAME.pattern() + ")(\\{(.*)})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"(,|$)");

    record Sample(String name, Map<String, String> labels, double value) {}

    final Map<String, String> types = new HashMap<>();
    final List<Sample> samples = new ArrayList<>();

    public static PrometheusText parse(String text) {
        PrometheusText t = new PrometheusText();
        int n = 0;
        for (String line : text.split("\n")) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            Matcher m;
            if ((m = TYPE.matcher(line)).matches()) {
                if (t.types.put(m.group(1), m.group(2)) != null) {
                    throw new IllegalArgumentException("line " + n + ": second TYPE for " + m.group(1));
                }
            } else if (HELP.matcher(line).matches()) {
                // help text: anything
            } else if (line.startsWith("#")) {
                throw new IllegalArgumentException("line " + n + ": unknown comment: " + line);
            } else if ((m = SAMPLE.matcher(line)).matches()) {
                String name = m.group(1);
                if (t.family(name) == null) {
                    throw new IllegalArgumentException("line " + n + ": sample " + name + " has no TYPE");
                }
                t.samples.add(new Sample(name, labels(m.group(3), n), value(m.group(4), n)));
            } else {
                throw new IllegalArgumentException("line " + n + ": not a sample: " + line);
            }
        }
        return t;
    }

    /** The TYPE'd family a sample belongs to (histograms: _bucket, _sum, _count; counters: _total). */
    String family(String sample) {
        if (types.containsKey(sample)) {
            return sample;
        }
        for (String suffix : new String[] {"_bucket", "_sum", "_count", "_total", "_created"}) {
            if (sample.endsWith(suffix) && types.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
                return sample.substring(0, sample.length() - suffix.length());
            }
        }
        return null;
    }

    private static Map<String, String> labels(String body, int n) {
        Map<String, String> out = new LinkedHashMap<>();
        if (body == null || body.isEmpty()) {
            return out;
        }
        Matcher m = LABEL.matcher(body);
        int at = 0;
        while (at < body.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException("line " + n + ": bad labels at " + body.substring(at));
            }
            out.put(m.group(1), m.group(2).replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\"));
            at = m.end();
        }
        return out;
    }

    private static double value(String s, int n) {
        return switch (s) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("line " + n + ": bad value " + s);
                }
            }
        };
    }

    /** The value of the one sample with this name and (at least) these labels; fails if none or several. */
    public double value(String name, String... labelPairs) {
        List<Sample> found = find(name, labelPairs);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples " + name + " " + List.of(labelPairs) + ": " + found);
        }
        return found.get(0).value();
    }

    /** The value, or 0 when no such sample exists yet (a meter made on first use). */
    double valueOrZero(String name, String... labelPairs) {
        List<Sample> found = find(name, labelPairs);
        return found.isEmpty() ? 0 : value(name, labelPairs);
    }

    List<Sample> find(String name, String... labelPairs) {
        List<Sample> out = new ArrayList<>();
        outer:
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            for (int i = 0; i < labelPairs.length; i += 2) {
                if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
                    continue outer;
                }
            }
            out.add(s);
        }
        return out;
    }

    boolean hasSample(String name) {
        return samples.stream().anyMatch(s -> s.name().equals(name));
    }
}
