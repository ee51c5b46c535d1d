package io.depot.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code depot iscsi target|lun|acl|chap|sessions}. */
@Command(name = "iscsi", mixinStandardHelpOptions = true, description = "iSCSI targets, LUN maps, ACLs, CHAP and sessions.",
        subcommands = {IscsiCommand.Target.class, IscsiCommand.Lun.class, IscsiCommand.Acl.class, IscsiCommand.Chap.class,
                IscsiCommand.Sessions.class})
public final class IscsiCommand {
    static String path(String iqn) { return "/iscsi/targets/" + ApiClient.seg(iqn); }

    static String lunText(JsonNode l) {
        if (l.path("missing").asBoolean()) {
            return "(missing " + (l.hasNonNull("volume") ? l.get("volume").asText() + "@" : "") + ApiCommand.text(
                    l.hasNonNull("snapshotId") ? l.get("snapshotId") : l.get("volumeId")) + ")";
        }
        return l.path("volume").asText() + (l.hasNonNull("snapshot") ? "@" + l.get("snapshot").asText() + " (read-only)" : "");
    }

    static void printTarget(ApiCommand c, JsonNode t) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("target", t.path("name").asText());
        f.put("alias", ApiCommand.text(t.get("alias")));
        f.put("allowed initiators", t.path("allowedInitiators").isEmpty() ? "any" : String.join(", ", VolumeCommand.strings(t.get("allowedInitiators"))));
        f.put("CHAP", t.hasNonNull("chapUser") ? "user " + t.get("chapUser").asText()
                + (t.hasNonNull("mutualChapUser") ? ", mutual user " + t.get("mutualChapUser").asText() : "") : "off");
        c.printFields(f);
        Table luns = new Table("LUN", "SERVES");
        t.path("luns").forEach(l -> luns.row(l.path("lun").asLong(), lunText(l)));
        luns.print(c.out());
    }

    @Command(name = "target", mixinStandardHelpOptions = true, description = "iSCSI targets.",
            subcommands = {Target.Create.class, Target.List.class, Target.Show.class, Target.Delete.class})
    static final class Target {
        @Command(name = "create", description = "Create a target named IQN (iqn.YYYY-MM.reversed.domain:id).")
        static final class Create extends ApiCommand {
            @Parameters(paramLabel = "IQN") String iqn;
            @Option(names = "--alias", description = "TargetAlias shown to initiators.") String alias;

            @Override
            void run() {
                print(api().post("/iscsi/targets", body().put("name", iqn).put("alias", alias)), t -> printTarget(this, t));
            }
        }

        @Command(name = "list", description = "List targets.")
        static final class List extends ApiCommand {
            @Override
            void run() {
                printList(api().get("/iscsi/targets"), new Table("TARGET", "LUNS", "ACL", "CHAP"), x -> {
                    java.util.List<String> luns = new ArrayList<>();
                    x.path("luns").forEach(l -> luns.add(l.path("lun").asLong() + "=" + lunText(l)));
                    return new Object[] {x.path("name").asText(), luns.isEmpty() ? "-" : String.join(" ", luns),
                            x.path("allowedInitiators").isEmpty() ? "any" : x.path("allowedInitiators").size() + " initiator(s)",
                            x.hasNonNull("chapUser") ? "on" : "off"};
                });
            }
        }

        @Command(name = "show", description = "Show a target and its LUNs.")
        static final class Show extends ApiCommand {
            @Parameters(paramLabel = "IQN") String iqn;

            @Override
            void run() {
                print(api().get(path(iqn)), t -> printTarget(this, t));
            }
        }

        @Command(name = "delete", description = "Delete a target (its sessions are dropped; volumes stay).")
        static final class Delete extends ApiCommand {
            @Parameters(paramLabel = "IQN") String iqn;

            @Override
            void run() {
                delete(path(iqn), "deleted target " + iqn);
            }
        }
    }

    @Command(name = "lun", mixinStandardHelpOptions = true, description = "LUN maps.", subcommands = {Lun.Map.class, Lun.Unmap.class})
    static final class Lun {
        @Command(name = "map", description = "Serve VOLUME (read-write) or VOLUME@SNAPSHOT (read-only) at LUN of target IQN.")
        static final class Map extends ApiCommand {
            @Parameters(index = "0", paramLabel = "IQN") String iqn;
            @Parameters(index = "1", paramLabel = "LUN") long lun;
            @Parameters(index = "2", paramLabel = "VOLUME[@SNAPSHOT]") String what;

            @Override
            void run() {
                var b = body();
                if (what.contains("@")) {
                    String[] vs = volumeAtSnapshot(what);
                    b.put("volume", vs[0]).put("snapshot", vs[1]);
                } else {
                    b.put("volume", what);
                }
                print(api().put(path(iqn) + "/luns/" + lun, b), t -> out().println("LUN " + lun + " of " + iqn + " serves " + what));
            }
        }

        @Command(name = "unmap", description = "Stop serving LUN of target IQN.")
        static final class Unmap extends ApiCommand {
            @Parameters(index = "0", paramLabel = "IQN") String iqn;
            @Parameters(index = "1", paramLabel = "LUN") long lun;

            @Override
            void run() {
                delete(path(iqn) + "/luns/" + lun, "unmapped LUN " + lun + " of " + iqn);
            }
        }
    }

    @Command(name = "acl", mixinStandardHelpOptions = true, description = "Which initiators may log in.",
            subcommands = {Acl.Set.class, Acl.Clear.class})
    static final class Acl {
        @Command(name = "set", description = "Allow only these initiators to log in to IQN.")
        static final class Set extends ApiCommand {
            @Parameters(index = "0", paramLabel = "IQN") String iqn;
            @Parameters(index = "1..*", arity = "1..*", paramLabel = "INITIATOR") java.util.List<String> initiators;

            @Override
            void run() {
                var b = body();
                var arr = b.putArray("initiators");
                initiators.forEach(arr::add);
                print(api().put(path(iqn) + "/acl", b), t -> printTarget(this, t));
            }
        }

        @Command(name = "clear", description = "Let every initiator log in to IQN.")
        static final class Clear extends ApiCommand {
            @Parameters(paramLabel = "IQN") String iqn;

            @Override
            void run() {
                var b = body();
                b.putArray("initiators");
                print(api().put(path(iqn) + "/acl", b), t -> printTarget(this, t));
            }
        }
    }

    @Command(name = "chap", mixinStandardHelpOptions = true, description = "CHAP authentication.",
            subcommands = {Chap.Set.class, Chap.Off.class})
    static final class Chap {
        @Command(name = "set", description = "Make initiators of IQN authenticate as USER with SECRET ('-' reads it from stdin).")
        static final class Set extends ApiCommand {
            @Parameters(index = "0", paramLabel = "IQN") String iqn;
            @Parameters(index = "1", paramLabel = "USER") String user;
            @Parameters(index = "2", paramLabel = "SECRET") String secret;
            @Option(names = "--mutual-user", description = "User name the target answers with (mutual CHAP).") String mutualUser;
            @Option(names = "--mutual-secret", description = "Secret the target proves (mutual CHAP).") String mutualSecret;

            @Override
            void run() {
                String s = secret;
                if ("-".equals(s)) {
                    try {
                        s = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                    } catch (IOException e) {
                        throw new CliException(ExitCodes.USAGE, "cannot read the secret from stdin: " + e.getMessage());
                    }
                }
                var b = body().put("user", user).put("secret", s);
                if (mutualUser != null || mutualSecret != null) {
                    b.put("mutualUser", mutualUser).put("mutualSecret", mutualSecret);
                }
                print(api().put(path(iqn) + "/chap", b), t -> printTarget(this, t));
            }
        }

        @Command(name = "off", description = "Turn CHAP off for IQN.")
        static final class Off extends ApiCommand {
            @Parameters(paramLabel = "IQN") String iqn;

            @Override
            void run() {
                print(api().delete(path(iqn) + "/chap"), t -> printTarget(this, t));
            }
        }
    }

    @Command(name = "sessions", description = "iSCSI sessions logged in now.")
    static final class Sessions extends ApiCommand {
        @Override
        void run() {
            printList(api().get("/iscsi/sessions"), new Table("INITIATOR", "ISID", "TARGET", "TSIH"),
                    s -> new Object[] {s.path("initiator").asText(), s.path("isid").asText(), s.path("target").asText(),
                        s.path("tsih").asInt()});
        }
    }
}
