package io.depot.nfs.rpc;

/**
 * Gives each procedure of each registered program its {@link ProcedureObserver}; asked once per
 * procedure (the first call to it), never per call.
 */
@FunctionalInterface
public interface ProcedureObservers {
    ProcedureObserver forProcedure(RpcProgram program, int version, RpcProcedure procedure);

    ProcedureObservers NONE = (program, version, procedure) -> ProcedureObserver.NONE;
}
