package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code depot volume create|list|show|resize|rename|delete}. */
@Command(name = "volume", mixinStandardHelpOptions = true, description = "Thin block volumes.",
        subcommands = {VolumeCommand.Create.class, VolumeCommand.List.class, VolumeCommand.Show.class,
                VolumeCommand.Resize.class, VolumeCommand.Rename.class, VolumeCommand.Delete.class})
public final class VolumeCommand {
    static String path(String name) { return "/volumes/" + ApiClient.seg(name); }

    static void printVolume(ApiCommand c, JsonNode v) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("name", ApiCommand.text(v.get("name")));
        f.put("id", ApiCommand.text(v.get("id")));
        f.put("size", ApiCommand.size(v.get("size")));
        f.put("allocated", ApiCommand.size(v.get("allocated")));
        f.put("owner", owner(v));
        f.put("linked clone", v.path("linkedClone").asBoolean() ? "yes" : "no");
        f.put("snapshots", ApiCommand.text(v.get("snapshots")));
        f.put("iSCSI LUNs", v.path("luns").isEmpty() ? "-" : String.join(", ", strings(v.path("luns"))));
        f.put("job", ApiCommand.text(v.get("job")));
        c.printFields(f);
    }

    /** Who a volume belongs to, as the API reports it: {@code user}, or the kind and its reference ({@code nfs-file nfs}). */
    static String owner(JsonNode v) {
        JsonNode o = v.path("owner");
        String kind = o.path("kind").asText("user");
        String ref = o.path("ref").asText("");
        return ref.isEmpty() ? kind : kind + " " + ref;
    }

    static java.util.List<String> strings(JsonNode array) {
        java.util.List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Command(name = "create", description = "Create a thin volume (uses no space until written).")
    static final class Create extends ApiCommand {
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--size", required = true, paramLabel = "SIZE", description = "Virtual size, e.g. 20G, 512M, 1T.") String size;

        @Override
        void run() {
            JsonNode v = api().post("/volumes", body().put("name", name).put("size", parseSize(size)));
            print(v, x -> printVolume(this, x));
        }
    }

    @Command(name = "list", description = "List volumes.")
    static final class List extends ApiCommand {
        @Option(names = "--all", description = "Include the NFS gateway's file volumes.") boolean all;

        @Override
        void run() {
            // with the gateway's file volumes listed too, an OWNER column says whose each one is
            Table table = all ? new Table("NAME", "OWNER", "SIZE", "ALLOCATED", "SNAPSHOTS", "CLONE", "LUNS")
                    : new Table("NAME", "SIZE", "ALLOCATED", "SNAPSHOTS", "CLONE", "LUNS");
            printList(api().get("/volumes" + (all ? "?all=true" : "")), table, v -> {
                java.util.List<Object> row = new java.util.ArrayList<>(java.util.List.of(v.get("name").asText(),
                        size(v.get("size")), size(v.get("allocated")), v.get("snapshots").asInt(),
                        v.path("linkedClone").asBoolean() ? "linked" : "-", luns(v)));
                if (all) {
                    row.add(1, owner(v));
                }
                return row.toArray();
            });
        }
    }

    private static String luns(JsonNode v) {
        return v.path("luns").isEmpty() ? "-" : String.join(",", strings(v.path("luns")));
    }

    @Command(name = "show", description = "Show one volume.")
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "NAME") String name;

        @Override
        void run() {
            print(api().get(path(name)), v -> printVolume(this, v));
        }
    }

    @Command(name = "resize", description = "Grow a volume; shrinking (which discards data past the new end) needs --shrink.")
    static final class Resize extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "SIZE") String size;
        @Option(names = "--shrink", description = "Allow the new size to be smaller.") boolean shrink;

        @Override
        void run() {
            print(api().patch(path(name), body().put("size", parseSize(size)).put("shrink", shrink)), v -> printVolume(this, v));
        }
    }

    @Command(name = "rename", description = "Rename a volume (its id, iSCSI identifiers and LUN maps stay).")
    static final class Rename extends ApiCommand {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "NEW_NAME") String newName;

        @Override
        void run() {
            print(api().patch(path(name), body().put("name", newName)), v -> printVolume(this, v));
        }
    }

    @Command(name = "delete", description = "Delete a volume and its snapshots (refused while mapped or cloned).")
    static final class Delete extends ApiCommand {
        @Parameters(paramLabel = "NAME") String name;

        @Override
        void run() {
            delete(path(name), "deleted volume " + name);
        }
    }
}
