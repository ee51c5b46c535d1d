package io.depot.iscsi.scsi;

import io.depot.iscsi.backstore.BlockBackend;

/**
 * EXTENDED COPY (LID1, 83h/00h) and RECEIVE COPY RESULTS (84h) for copies between Depot
 * logical units (VMware's clone offload). One instance serves the whole appliance, since a copy
 * may span targets.
 */
public interface CopyOffload {

    ScsiResult extendedCopy(ScsiCommand command);

    ScsiResult receiveCopyResults(ScsiCommand command);

    /** Finds a Depot backend by the NAA designator of its logical unit (identification descriptor CSCD 0xE4). */
    interface BackendDirectory {
        /** The backend whose {@link DeviceIdentity#naa} equals {@code naa}, or null. */
        BlockBackend byNaa(byte[] naa);
    }
}
