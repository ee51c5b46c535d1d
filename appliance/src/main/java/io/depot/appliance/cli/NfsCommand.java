package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code depot nfs export|snapshot|clients|locks|import}. */
@Command(name = "nfs", mixinStandardHelpOptions = true,
        description = "NFS exports, their client rules and squash, export snapshots, mounted clients, locks, files from snapshots.",
        subcommands = {NfsCommand.Export.class, NfsCommand.Snapshot.class, NfsCommand.Clients.class, NfsCommand.Locks.class, NfsCommand.Import.class})
public final class NfsCommand {
    /** "/depot" (or "depot") as the API's path segment. */
    static String path(String export) {
        String p = export.startsWith("/") ? export.substring(1) : export;
        return "/nfs/exports/" + ApiClient.seg(p);
    }

    static void printExport(ApiCommand c, JsonNode e) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("export", e.path("path").asText());
        f.put("clients", e.path("clients").isEmpty() ? "everyone (rw)" : String.join(", ", VolumeCommand.strings(e.get("clients"))));
        f.put("squash", e.path("squash").asText() + (e.path("squash").asText().equals("none") ? ""
                : " (as uid " + e.path("anonUid").asLong() + ", gid " + e.path("anonGid").asLong() + ")"));
        c.printFields(f);
    }

    /** The options that shape an export's access, shared by create and set. */
    static final class AccessOptions {
        @Option(names = "--client", paramLabel = "RULE", description = "Who may mount, first match wins: '10.0.0.0/8(rw)', "
                + "'host1(ro)', '*' (rw when no access is given). Repeat for more. None: everyone read-write.")
        java.util.List<String> clients;

        @Option(names = "--everyone", description = "(set) Drop the client rules: everyone may mount read-write.")
        boolean everyone;

        @Option(names = "--squash", paramLabel = "none|root|all", description = "Which callers act as the anonymous uid/gid "
                + "(default none: hypervisors write as root).")
        String squash;

        @Option(names = "--anon-uid", paramLabel = "UID", description = "The uid squashed callers act as (default 65534).")
        Long anonUid;

        @Option(names = "--anon-gid", paramLabel = "GID", description = "The gid squashed callers act as (default 65534).")
        Long anonGid;

        void fill(ObjectNode b) {
            if (everyone) {
                b.putArray("clients");
            } else if (clients != null) {
                var a = b.putArray("clients");
                clients.forEach(a::add);
            }
            if (squash != null) {
                b.put("squash", squash);
            }
            if (anonUid != null) {
                b.put("anonUid", anonUid);
            }
            if (anonGid != null) {
                b.put("anonGid", anonGid);
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "NFS exports.",
            subcommands = {Export.Create.class, Export.List.class, Export.Show.class, Export.Set.class, Export.Delete.class})
    static final class Export {
        @Command(name = "create", description = "Export a directory of the datastore (made if missing).")
        static final class Create extends ApiCommand {
            @Parameters(paramLabel = "PATH", description = "e.g. /depot") String path;
            @picocli.CommandLine.Mixin AccessOptions access;

            @Override
            void run() {
                ObjectNode b = body().put("path", path);
                access.fill(b);
                print(api().post("/nfs/exports", b), e -> printExport(this, e));
            }
        }

        @Command(name = "list", description = "List exports.")
        static final class List extends ApiCommand {
            @Override
            void run() {
                printList(api().get("/nfs/exports"), new Table("EXPORT", "CLIENTS", "SQUASH"),
                        e -> new Object[] {e.path("path").asText(), e.path("clients").isEmpty() ? "everyone (rw)"
                            : String.join(" ", VolumeCommand.strings(e.get("clients"))), e.path("squash").asText()});
            }
        }

        @Command(name = "show", description = "Show an export's rules.")
        static final class Show extends ApiCommand {
            @Parameters(paramLabel = "PATH") String path;

            @Override
            void run() {
                print(api().get(path(path)), e -> printExport(this, e));
            }
        }

        @Command(name = "set", description = "Change an export's client rules or squash (what is not given stays).")
        static final class Set extends ApiCommand {
            @Parameters(paramLabel = "PATH") String path;
            @picocli.CommandLine.Mixin AccessOptions access;

            @Override
            void run() {
                ObjectNode b = body();
                access.fill(b);
                print(api().patch(path(path), b), e -> printExport(this, e));
            }
        }

        @Command(name = "delete", description = "Stop exporting PATH (its files stay; clients' handles go stale).")
        static final class Delete extends ApiCommand {
            @Parameters(paramLabel = "PATH") String path;

            @Override
            void run() {
                delete(path(path), "stopped exporting " + path);
            }
        }
    }

    @Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Export-wide snapshots (read-only under <export>/.snapshots/).",
            subcommands = {Snapshot.Create.class, Snapshot.List.class, Snapshot.Delete.class})
    static final class Snapshot {
        @Command(name = "create", description = "Snapshot every file of export PATH at one instant.")
        static final class Create extends ApiCommand {
            @Parameters(index = "0", paramLabel = "PATH") String path;
            @Parameters(index = "1", paramLabel = "NAME") String name;

            @Override
            void run() {
                print(api().post(path(path) + "/snapshots", body().put("name", name)),
                        s -> out().println("snapshot " + name + " of " + path + " taken; read it under " + s.path("path").asText()));
            }
        }

        @Command(name = "list", description = "List the snapshots of export PATH.")
        static final class List extends ApiCommand {
            @Parameters(paramLabel = "PATH") String path;

            @Override
            void run() {
                printList(api().get(path(path) + "/snapshots"), new Table("NAME", "CREATED", "PATH"),
                        s -> new Object[] {s.path("name").asText(), s.path("createdAt").asText(), s.path("path").asText()});
            }
        }

        @Command(name = "delete", description = "Delete snapshot NAME of export PATH.")
        static final class Delete extends ApiCommand {
            @Parameters(index = "0", paramLabel = "PATH") String path;
            @Parameters(index = "1", paramLabel = "NAME") String name;

            @Override
            void run() {
                delete(path(path) + "/snapshots/" + ApiClient.seg(name), "deleted snapshot " + name + " of " + path);
            }
        }
    }

    @Command(name = "clients", description = "Clients that mounted an export (MOUNT's list: advisory).")
    static final class Clients extends ApiCommand {
        @Override
        void run() {
            printList(api().get("/nfs/clients"), new Table("CLIENT", "EXPORT"),
                    c -> new Object[] {c.path("host").asText(), c.path("export").asText()});
        }
    }

    @Command(name = "locks", mixinStandardHelpOptions = true, description = "Byte-range locks NFS clients hold (NLM).",
            subcommands = {Locks.List.class, Locks.Release.class})
    static final class Locks {
        @Command(name = "list", description = "Locks held, by client host and file (inode number), then blocked requests waiting for them.")
        static final class List extends ApiCommand {
            @Override
            void run() {
                printList(api().get("/nfs/locks"), new Table("CLIENT", "FILE", "OFFSET", "LENGTH", "TYPE", "STATE"),
                        l -> new Object[] {l.path("host").asText(), l.path("file").asLong(), l.path("offset").asLong(),
                                l.path("length").asLong() == 0 ? "to end" : l.path("length").asLong(),
                                l.path("exclusive").asBoolean() ? "write" : "read", l.path("waiting").asBoolean() ? "waiting" : "held"});
            }
        }

        @Command(name = "release", description = "Drop every lock of client HOST, as its reboot would: for a host that is gone "
                + "for good and whose locks keep another host from starting its VMs. A host that is still up loses its locks silently.")
        static final class Release extends ApiCommand {
            @Parameters(paramLabel = "HOST", description = "The client's host name as 'depot nfs locks list' shows it.") String host;

            @Override
            void run() {
                JsonNode r = api().delete("/nfs/locks/" + ApiClient.seg(host));
                print(r, x -> out().println("released " + x.path("locks").asInt() + " lock(s) of " + x.path("host").asText()));
            }
        }
    }

    @Command(name = "import", description = "Make datastore file FILE from VOLUME@SNAPSHOT: a linked clone (instant), or --full "
            + "(copied in the background: see 'depot job'). To serve a clone volume: snapshot it, then import the snapshot.")
    static final class Import extends ApiCommand {
        @Parameters(index = "0", paramLabel = "VOLUME@SNAPSHOT") String source;
        @Parameters(index = "1", paramLabel = "FILE", description = "Inside an export, e.g. /depot/disks/vm1.raw (directories are made).")
        String file;
        @Option(names = "--full", description = "Copy the data in the background so the file stops depending on the snapshot.")
        boolean full;

        @Override
        void run() {
            String[] vs = volumeAtSnapshot(source);
            JsonNode r = api().post("/nfs/files", body().put("path", file).put("volume", vs[0]).put("snapshot", vs[1]).put("full", full));
            print(r, f -> {
                out().println(file + " (" + ApiCommand.size(f.get("size")) + ") made from " + source + " as a "
                        + (full ? "full" : "linked") + " clone");
                if (f.hasNonNull("job")) {
                    out().println("job " + f.get("job").asText() + " copies it in the background (depot job show " + f.get("job").asText() + ")");
                }
            });
        }
    }
}
