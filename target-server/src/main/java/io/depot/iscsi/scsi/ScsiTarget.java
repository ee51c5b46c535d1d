package io.depot.iscsi.scsi;

import io.depot.iscsi.backstore.BlockBackend;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SCSI target device (an iSCSI target) and its LUN map: the {@link CommandLayer} the fabric
 * calls. Commands to a mapped LUN go to its {@link LogicalUnit}; a LUN with nothing mapped answers
 * as SPC-4 §6.6.2 and §6.29 ask (REPORT LUNS, REQUEST SENSE and INQUIRY work, the rest is
 * LOGICAL UNIT NOT SUPPORTED).
 *
 * <p>Thread-safe. {@link #execute} is lock-free up to the logical unit; LUN map and nexus changes
 * are serialized among themselves so every logged-in nexus is registered on every LU exactly once.
 */
public final class ScsiTarget implements CommandLayer {
    private static final Logger log = LoggerFactory.getLogger(ScsiTarget.class);

    /** Flat space addressing (SAM-5 §4.7.7) reaches LUN 16383. */
    public static final long MAX_LUN = 16383;

    private final String targetName;
    private final ReservationsFactory reservationsFactory;
    private final CopyOffload copyOffload;
    private final CommandTable commands;
    private final ConcurrentSkipListMap<Long, LogicalUnit> luns = new ConcurrentSkipListMap<>();
    private final Set<ItNexus> nexuses = new HashSet<>();
    /** Nexuses that were logged in and are gone, most recent last; bounded (initiators may pick a fresh ISID per login). */
    private final java.util.LinkedHashMap<ItNexus, Boolean> formerNexuses = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<ItNexus, Boolean> eldest) {
            return size() > 4096;
        }
    };
    private final Object lock = new Object();

    /**
     * @param targetName          the iSCSI target name, for logs
     * @param reservationsFactory makes each logical unit's reservation state when a backend is mapped
     * @param copyOffload         EXTENDED COPY and RECEIVE COPY RESULTS, or null for none (the
     *                            commands are then unsupported and INQUIRY does not set 3PC)
     */
    public ScsiTarget(String targetName, ReservationsFactory reservationsFactory, CopyOffload copyOffload) {
        this.targetName = targetName;
        this.reservationsFactory = reservationsFactory;
        this.copyOffload = copyOffload;
        this.commands = new CommandTable(copyOffload != null);
    }

    public String targetName() { return targetName; }

    /**
     * Maps a backend at a LUN. Logged-in nexuses see POWER ON/RESET on the new LUN and REPORTED
     * LUNS DATA HAS CHANGED on the others (SPC-4 §6.33).
     */
    public void mapLun(long lun, BlockBackend backend) {
        if (lun < 0 || lun > MAX_LUN) {
            throw new IllegalArgumentException("LUN " + lun + " is outside 0.." + MAX_LUN);
        }
        synchronized (lock) {
            if (luns.containsKey(lun)) {
                throw new IllegalStateException("LUN " + lun + " of " + targetName + " is already mapped");
            }
            LogicalUnit lu = new LogicalUnit(this, backend, reservationsFactory);
            for (ItNexus n : nexuses) {
                lu.nexusAdded(n, SenseReason.POWER_ON_RESET);
            }
            luns.values().forEach(other -> other.unitAttentions().raiseForOthers(null, SenseReason.REPORTED_LUNS_DATA_CHANGED));
            luns.put(lun, lu);
        }
    }

    /** Unmaps a LUN; nexuses see REPORTED LUNS DATA HAS CHANGED on the remaining LUNs. Returns the backend, or null. */
    public BlockBackend unmapLun(long lun) {
        synchronized (lock) {
            LogicalUnit lu = luns.remove(lun);
            if (lu == null) {
                return null;
            }
            luns.values().forEach(other -> other.unitAttentions().raiseForOthers(null, SenseReason.REPORTED_LUNS_DATA_CHANGED));
            return lu.backend();
        }
    }

    /** The backend mapped at a LUN, or null. */
    public BlockBackend backend(long lun) {
        LogicalUnit lu = luns.get(lun);
        return lu == null ? null : lu.backend();
    }

    @Override
    public List<Long> luns() { return new ArrayList<>(luns.keySet()); }

    @Override
    public long dataOutLength(byte[] cdb) { return commands.dataOutLength(cdb); }

    @Override
    public ScsiResult execute(ScsiCommand command) {
        try {
            LogicalUnit lu = luns.get(command.lun());
            return lu != null ? lu.execute(command) : executeWithoutLogicalUnit(command);
        } catch (RuntimeException e) {
            log.error("{}: command {} to LUN {} failed unexpectedly", targetName, command.opcode(), command.lun(), e);
            return Sense.check(SenseReason.INTERNAL_TARGET_FAILURE);
        }
    }

    private ScsiResult executeWithoutLogicalUnit(ScsiCommand command) {
        try {
            CommandSpec spec = commands.lookup(command.cdb());
            spec.validate(command.cdb());
            return switch (command.opcode()) {
                case 0x12 -> InquiryCommand.noLogicalUnit(command, copyOffload != null);
                case 0xa0 -> reportLuns(command);
                // SPC-4 §6.29: REQUEST SENSE to an absent LU returns its sense data with GOOD status
                case 0x03 -> DataIn.good(command, Sense.fixed(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED), Fields.u8(command.cdb(), 4));
                default -> Sense.check(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED);
            };
        } catch (ScsiFailure f) {
            // an unknown opcode to an absent LU is still "no such LU" first
            return f.reason() == SenseReason.INVALID_OPCODE ? Sense.check(SenseReason.LOGICAL_UNIT_NOT_SUPPORTED) : Sense.check(f.sense());
        }
    }

    /** REPORT LUNS (SPC-4 §6.33): the LUN inventory, seen the same from every LUN. */
    ScsiResult reportLuns(ScsiCommand command) {
        byte[] cdb = command.cdb();
        int select = cdb[2] & 0xff;
        if (select > 0x02) {
            throw ScsiFailure.invalidCdb(2, -1);
        }
        // 01h asks for well-known LUs only, and we have none
        List<Long> list = select == 0x01 ? List.of() : luns();
        byte[] data = new byte[8 + 8 * list.size()];
        Fields.put32(data, 0, 8L * list.size());
        int at = 8;
        for (long lun : list) {
            if (lun < 256) {
                data[at + 1] = (byte) lun;                  // peripheral device addressing, bus 0
            } else {
                Fields.put16(data, at, 0x4000 | (int) lun); // flat space addressing
            }
            at += 8;
        }
        for (LogicalUnit lu : luns.values()) {
            lu.unitAttentions().clear(command.nexus(), SenseReason.REPORTED_LUNS_DATA_CHANGED);
        }
        return DataIn.good(command, data, Fields.u32(cdb, 6));
    }

    /**
     * A new nexus starts without a unit attention (as LIO does: initiators such as jSCSI cannot take
     * one on their first command); a nexus that logs in again after it was lost — the initiator's
     * reconnect or a session reinstatement — gets I_T NEXUS LOSS OCCURRED (its RESERVE
     * holds and mode changes may be gone).
     */
    @Override
    public void nexusAdded(ItNexus nexus) {
        synchronized (lock) {
            nexuses.add(nexus);
            SenseReason initial = formerNexuses.remove(nexus) != null ? SenseReason.I_T_NEXUS_LOSS : null;
            luns.values().forEach(lu -> lu.nexusAdded(nexus, initial));
        }
    }

    @Override
    public void nexusRemoved(ItNexus nexus) {
        synchronized (lock) {
            nexuses.remove(nexus);
            formerNexuses.put(nexus, Boolean.TRUE);
            luns.values().forEach(lu -> lu.nexusRemoved(nexus));
        }
    }

    @Override
    public boolean lunReset(long lun, ItNexus requester) {
        LogicalUnit lu = luns.get(lun);
        if (lu == null) {
            return false;
        }
        lu.reset(requester);
        return true;
    }

    @Override
    public void targetReset(ItNexus requester) {
        luns.values().forEach(lu -> lu.reset(requester));
    }

    @Override
    public void tasksClearedBy(long lun, ItNexus requester) {
        LogicalUnit lu = luns.get(lun);
        if (lu != null) {
            lu.unitAttentions().raiseForOthers(requester, SenseReason.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
        }
    }

    CommandTable commands() { return commands; }

    CopyOffload copyOffload() { return copyOffload; }

    boolean copyOffloadEnabled() { return copyOffload != null; }

    @Override
    public String toString() { return "target " + targetName + " " + luns.keySet(); }
}
