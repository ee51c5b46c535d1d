package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code depot snapshot create|list|show|delete|rollback|group|export|import}. */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Point-in-time snapshots of volumes.",
        subcommands = {SnapshotCommand.Create.class, SnapshotCommand.List.class, SnapshotCommand.Show.class,
                SnapshotCommand.Delete.class, SnapshotCommand.Rollback.class, SnapshotCommand.Group.class,
                SnapshotExportCommand.class, SnapshotImportCommand.class})
public final class SnapshotCommand {
    static String path(String[] vs) {
        return VolumeCommand.path(vs[0]) + "/snapshots/" + ApiClient.seg(vs[1]);
    }

    static void printSnapshot(ApiCommand c, JsonNode s) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("snapshot", s.path("volume").asText() + "@" + s.path("name").asText());
        f.put("id", ApiCommand.text(s.get("id")));
        f.put("size", ApiCommand.size(s.get("size")));
        f.put("created", ApiCommand.text(s.get("createdAt")));
        f.put("group", ApiCommand.text(s.get("groupId")));
        if (s.hasNonNull("uniqueBytes")) {
            f.put("unique", ApiCommand.size(s.get("uniqueBytes")));
        }
        c.printFields(f);
    }

    static void printTable(ApiCommand c, JsonNode list) {
        Table t = new Table("SNAPSHOT", "SIZE", "CREATED", "GROUP");
        list.forEach(s -> t.row(s.path("volume").asText() + "@" + s.path("name").asText(), ApiCommand.size(s.get("size")),
                ApiCommand.text(s.get("createdAt")), ApiCommand.text(s.get("groupId"))));
        t.print(c.out());
    }

    @Command(name = "create", description = "Snapshot a volume: VOLUME@SNAPSHOT (constant time).")
    static final class Create extends ApiCommand {
        @Parameters(paramLabel = "VOLUME@SNAPSHOT") String target;

        @Override
        void run() {
            String[] vs = volumeAtSnapshot(target);
            print(api().post(VolumeCommand.path(vs[0]) + "/snapshots", body().put("name", vs[1])), s -> printSnapshot(this, s));
        }
    }

    @Command(name = "list", description = "List a volume's snapshots, oldest first.")
    static final class List extends ApiCommand {
        @Parameters(paramLabel = "VOLUME") String volume;

        @Override
        void run() {
            print(api().get(VolumeCommand.path(volume) + "/snapshots"), l -> printTable(this, l));
        }
    }

    @Command(name = "show", description = "Show one snapshot, with the space deleting it would free.")
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "VOLUME@SNAPSHOT") String target;

        @Override
        void run() {
            print(api().get(path(volumeAtSnapshot(target))), s -> printSnapshot(this, s));
        }
    }

    @Command(name = "delete", description = "Delete a snapshot (refused while mapped or while linked clones read through it).")
    static final class Delete extends ApiCommand {
        @Parameters(paramLabel = "VOLUME@SNAPSHOT") String target;

        @Override
        void run() {
            delete(path(volumeAtSnapshot(target)), "deleted snapshot " + target);
        }
    }

    @Command(name = "rollback", description = "Make the volume's content the snapshot's again.")
    static final class Rollback extends ApiCommand {
        @Parameters(paramLabel = "VOLUME@SNAPSHOT") String target;
        @Option(names = "--destroy-newer", description = "Also delete the snapshots taken after this one.") boolean destroyNewer;

        @Override
        void run() {
            print(api().post(path(volumeAtSnapshot(target)) + "/rollback", body().put("destroyNewer", destroyNewer)),
                    v -> out().println("rolled " + v.path("name").asText() + " back to " + target));
        }
    }

    @Command(name = "group", description = "Snapshot several volumes at one instant (a consistency group).")
    static final class Group extends ApiCommand {
        @Parameters(index = "0", paramLabel = "SNAPSHOT") String name;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "VOLUME") java.util.List<String> volumes;

        @Override
        void run() {
            var b = body().put("name", name);
            var arr = b.putArray("volumes");
            volumes.forEach(arr::add);
            print(api().post("/snapshot-groups", b), l -> printTable(this, l));
        }
    }
}
