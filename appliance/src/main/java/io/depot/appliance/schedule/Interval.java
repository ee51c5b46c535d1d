package io.depot.appliance.schedule;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How often a schedule runs: {@code hourly}, {@code daily}, {@code weekly}, or a duration such as
 * {@code 15m}, {@code 6h}, {@code 2d}, {@code 1w} (or ISO-8601, {@code PT15M}); at least a minute.
 * Runs fall on slot boundaries counted in UTC from Monday 1970-01-05 00:00: hourly on the hour, daily
 * at midnight UTC, weekly on Monday at midnight UTC, 15m at :00, :15, :30 and :45.
 */
public record Interval(String text, long seconds) {
    /** A Monday at midnight UTC, so weekly slots start on Mondays. */
    static final long ANCHOR = Instant.parse("1970-01-05T00:00:00Z").getEpochSecond();
    private static final Pattern SHORT = Pattern.compile("(\\d{1,6})([mhdw])");

    public static Interval parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long seconds = switch (t) {
            case "hourly" -> 3600;
            case "daily" -> 86400;
            case "weekly" -> 7 * 86400;
            default -> {
                Matcher m = SHORT.matcher(t);
                if (m.matches()) {
                    long n = Long.parseLong(m.group(1));
                    yield n * switch (m.group(2)) {
                        case "m" -> 60;
                        case "h" -> 3600;
                        case "d" -> 86400;
                        default -> 7 * 86400;
                    };
                }
                try {
                    yield Duration.parse(text.trim()).getSeconds();
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("'" + text + "' is not an interval: use hourly, daily, weekly, or a "
                            + "duration such as 15m, 6h, 2d, 1w");
                }
            }
        };
        if (seconds < 60) {
            throw new IllegalArgumentException("interval '" + text + "' is shorter than a minute");
        }
        return new Interval(t, seconds);
    }

    /** The slot {@code at} falls in. */
    public long slot(Instant at) {
        return Math.floorDiv(at.getEpochSecond() - ANCHOR, seconds);
    }

    /** When slot {@code n} begins. */
    public Instant start(long n) {
        return Instant.ofEpochSecond(ANCHOR + n * seconds);
    }
}
