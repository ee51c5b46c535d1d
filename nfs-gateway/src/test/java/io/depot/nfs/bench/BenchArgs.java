package io.depot.nfs.bench;

/** Command-line helpers shared by the bench mains. */
final class BenchArgs {
    private BenchArgs() {}

    static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** 1g, 512m, 4096k or plain bytes. */
    static long parseSize(String text) {
        String t = text.trim().toLowerCase();
        long unit = switch (t.charAt(t.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1;
        };
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        return Long.parseLong(digits) * unit;
    }
}
