package io.depot.iscsi.scsi;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Names of SCSI operation codes as the standards write them ("READ(10)", "WRITE SAME(16)"), for
 * metrics and logs. An opcode whose service actions are different commands gets the opcode's own
 * name as SPC-4 and SBC-3 list it (SERVICE ACTION IN(16), MAINTENANCE IN); an unsupported opcode
 * its hex value.
 */
public final class OpcodeNames {
    private static final String[] NAMES = build();

    private OpcodeNames() {}

    public static String of(int opcode) {
        return NAMES[opcode & 0xff];
    }

    private static String[] build() {
        Map<Integer, String> groups = Map.of(0x9e, "SERVICE ACTION IN(16)", 0xa3, "MAINTENANCE IN", 0x83, "EXTENDED COPY");
        Map<Integer, String> named = new HashMap<>();
        List<CommandSpec> all = new CommandTable(true).all();
        for (CommandSpec s : all) {
            String earlier = named.putIfAbsent(s.opcode(), s.name());
            if (earlier != null && !earlier.equals(s.name())) {
                named.put(s.opcode(), groups.getOrDefault(s.opcode(), String.format("0x%02X", s.opcode())));
            }
        }
        String[] out = new String[256];
        for (int op = 0; op < 256; op++) {
            out[op] = named.getOrDefault(op, String.format("0x%02X", op));
        }
        out[0x83] = groups.get(0x83); // its only action today is the LID1 form; the opcode is the command family
        return out;
    }
}
