package io.depot.engine.stress;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

/** Problems found by any actor; the first one stops the run so the evidence is not buried. */
final class Failures {
    private static final int KEPT = 30;
    private final List<String> messages = new ArrayList<>();
    private volatile boolean any;

    synchronized void report(String actor, String message) {
        any = true;
        if (messages.size() < KEPT) {
            messages.add("[" + actor + "] " + message);
        }
    }

    void reportAll(String actor, List<String> problems) {
        for (String p : problems) {
            report(actor, p);
        }
    }

    void unexpected(String actor, Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        report(actor, "unexpected " + w);
    }

    boolean any() { return any; }

    synchronized String summary() { return String.join("\n", messages); }
}
