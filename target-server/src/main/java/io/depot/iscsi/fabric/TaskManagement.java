package io.depot.iscsi.fabric;

import io.depot.iscsi.fabric.pdu.Opcode;
import io.depot.iscsi.fabric.pdu.OutPdu;
import io.depot.iscsi.fabric.pdu.Pdu;
import io.depot.iscsi.scsi.CommandLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task Management Function requests (RFC 7143 §11.5, SAM-5 §7). Aborted tasks stop sending
 * anything; the response goes out only once every affected task has really stopped, so an
 * initiator that reuses a tag after FUNCTION COMPLETE never sees a stale status.
 */
final class TaskManagement {
    private static final Logger log = LoggerFactory.getLogger(TaskManagement.class);

    // functions
    static final int ABORT_TASK = 1;
    static final int ABORT_TASK_SET = 2;
    static final int CLEAR_ACA = 3;
    static final int CLEAR_TASK_SET = 4;
    static final int LOGICAL_UNIT_RESET = 5;
    static final int TARGET_WARM_RESET = 6;
    static final int TARGET_COLD_RESET = 7;
    static final int TASK_REASSIGN = 8;

    // responses
    static final int FUNCTION_COMPLETE = 0;
    static final int TASK_DOES_NOT_EXIST = 1;
    static final int LUN_DOES_NOT_EXIST = 2;
    static final int REASSIGN_NOT_SUPPORTED = 4;
    static final int FUNCTION_NOT_SUPPORTED = 5;

    private final IscsiConnection conn;

    TaskManagement(IscsiConnection conn) {
        this.conn = conn;
    }

    void onRequest(Pdu pdu) {
        int function = pdu.flags() & 0x7f;
        int itt = pdu.itt();
        long lunField = pdu.lunField();
        long lun = Lun.decode(lunField);
        int rtt = pdu.word20();
        int refCmdSN = pdu.getInt(32);
        IscsiSession s = conn.session();
        CommandLayer layer = s.target.commandLayer();
        boolean lunExists = layer.luns().contains(lun);
        switch (function) {
            case ABORT_TASK -> {
                IscsiTask task = conn.runner().task(rtt);
                if (task == null || task.lun != lun) {
                    // A task already answered is gone: TASK DOES NOT EXIST (what initiators such as
                    // libiscsi expect when the status crossed the abort). RFC 7143 §11.5.1: a command
                    // not yet received but inside the window is considered received, and aborted.
                    boolean notYetReceived = !IscsiSession.before(refCmdSN, s.expCmdSN)
                            && !IscsiSession.before(s.maxCmdSN(), refCmdSN);
                    if (notYetReceived && s.abortedBeforeArrival.size() < s.window) {
                        s.abortedBeforeArrival.add(refCmdSN);
                    }
                    respond(itt, notYetReceived ? FUNCTION_COMPLETE : TASK_DOES_NOT_EXIST);
                    return;
                }
                after(conn.abortTasks(t -> t == task, "ABORT TASK"), itt, FUNCTION_COMPLETE);
            }
            case ABORT_TASK_SET, CLEAR_TASK_SET -> {
                if (!lunExists) {
                    respond(itt, LUN_DOES_NOT_EXIST);
                    return;
                }
                List<CompletableFuture<Void>> waits = new ArrayList<>();
                waits.add(conn.abortTasks(t -> t.lun == lun, "ABORT TASK SET"));
                if (function == CLEAR_TASK_SET) {
                    // every initiator's tasks on the LU go (TST=000b: one task set per LU); they learn it by unit attention
                    for (IscsiConnection peer : conn.peersOnTarget()) {
                        if (peer != conn) {
                            waits.add(peer.abortTasks(t -> t.lun == lun, "CLEAR TASK SET from " + s.nexus.initiatorPortName()));
                        }
                    }
                    layer.tasksClearedBy(lun, s.nexus);
                }
                after(CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)), itt, FUNCTION_COMPLETE);
            }
            case CLEAR_ACA -> respond(itt, lunExists ? FUNCTION_COMPLETE : LUN_DOES_NOT_EXIST); // no ACA: NACA is not supported
            case LOGICAL_UNIT_RESET -> {
                if (!lunExists) {
                    respond(itt, LUN_DOES_NOT_EXIST);
                    return;
                }
                log.info("{}: LOGICAL UNIT RESET of LUN {} on {}", conn, lun, s.target);
                CompletableFuture<Void> all = abortEverywhere(t -> t.lun == lun, "LOGICAL UNIT RESET");
                after(all.thenRun(() -> layer.lunReset(lun, s.nexus)), itt, FUNCTION_COMPLETE);
            }
            case TARGET_WARM_RESET, TARGET_COLD_RESET -> {
                log.info("{}: TARGET {} RESET on {}", conn, function == TARGET_COLD_RESET ? "COLD" : "WARM", s.target);
                CompletableFuture<Void> all = abortEverywhere(t -> true, "TARGET RESET");
                CompletableFuture<Void> reset = all.thenRun(() -> layer.targetReset(s.nexus));
                if (function == TARGET_COLD_RESET) {
                    // a cold reset also ends every session on the target, this one after its response (RFC 7143 §11.5.1)
                    reset.whenComplete((v, e) -> conn.runOnLoop(() -> {
                        respond(itt, FUNCTION_COMPLETE);
                        for (IscsiConnection peer : conn.peersOnTarget()) {
                            peer.drop();
                        }
                    }));
                } else {
                    after(reset, itt, FUNCTION_COMPLETE);
                }
            }
            case TASK_REASSIGN -> respond(itt, REASSIGN_NOT_SUPPORTED); // needs ErrorRecoveryLevel 2
            default -> respond(itt, FUNCTION_NOT_SUPPORTED);
        }
    }

    private CompletableFuture<Void> abortEverywhere(java.util.function.Predicate<IscsiTask> which, String why) {
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (IscsiConnection peer : conn.peersOnTarget()) {
            waits.add(peer.abortTasks(which, why));
        }
        return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new));
    }

    private void after(CompletableFuture<Void> work, int itt, int response) {
        work.whenComplete((v, e) -> {
            if (e != null) {
                log.error("{}: task management failed", conn, e);
            }
            conn.runOnLoop(() -> respond(itt, response));
        });
    }

    private void respond(int itt, int response) {
        if (!conn.ctx().channel().isActive()) {
            return;
        }
        OutPdu out = OutPdu.of(conn.ctx().alloc(), Opcode.TASK_MGMT_RESPONSE, 0x80, null).setByte(2, response).setInt(16, itt);
        conn.send(out, true);
        conn.ctx().flush();
    }
}
