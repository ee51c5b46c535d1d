package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.depot.appliance.Sizes;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A CLI command that makes API calls: finds the API, runs, prints JSON (--json) or text. */
abstract class ApiCommand implements Callable<Integer> {
    @Mixin
    ClientOptions client;

    @Spec
    CommandSpec spec;

    private ApiClient api;

    @Override
    public final Integer call() {
        api = ApiClient.of(client);
        run();
        return ExitCodes.OK;
    }

    abstract void run();

    ApiClient api() { return api; }

    PrintWriter out() { return spec.commandLine().getOut(); }

    boolean json() { return client.json; }

    /** Prints the JSON as is with --json; otherwise lets {@code human} print it. */
    void print(JsonNode result, java.util.function.Consumer<JsonNode> human) {
        if (json()) {
            try {
                out().println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            out().flush();
        } else {
            human.accept(result);
            out().flush();
        }
    }

    /** Prints a JSON array as {@code table}, one row per element, or the JSON as is with --json. */
    void printList(JsonNode list, Table table, Function<JsonNode, Object[]> row) {
        print(list, all -> {
            all.forEach(e -> table.row(row.apply(e)));
            table.print(out());
        });
    }

    /** DELETEs {@code path}, then says {@code done} (nothing with --json: a DELETE answers no JSON). */
    void delete(String path, String done) {
        api().delete(path);
        if (!json()) {
            out().println(done);
        }
    }

    /** "key: value" lines. */
    void printFields(Map<String, String> fields) {
        int w = fields.keySet().stream().mapToInt(String::length).max().orElse(0) + 1;
        fields.forEach((k, v) -> out().println(String.format("%-" + w + "s  %s", k + ":", v == null ? "-" : v)));
        out().flush();
    }

    static ObjectNode body() { return ApiClient.JSON.createObjectNode(); }

    static String size(JsonNode n) {
        return n == null || n.isNull() ? "-" : Sizes.format(n.asLong());
    }

    static String text(JsonNode n) {
        return n == null || n.isNull() ? "-" : n.asText();
    }

    /** "VOL@SNAP" split in two; a usage error (exit 1) when either half is missing. */
    String[] volumeAtSnapshot(String spec) {
        int at = spec.indexOf('@');
        if (at <= 0 || at == spec.length() - 1) {
            throw new CommandLine.ParameterException(this.spec.commandLine(), "expected VOLUME@SNAPSHOT, got '" + spec + "'");
        }
        return new String[] {spec.substring(0, at), spec.substring(at + 1)};
    }

    long parseSize(String text) {
        try {
            return Sizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
