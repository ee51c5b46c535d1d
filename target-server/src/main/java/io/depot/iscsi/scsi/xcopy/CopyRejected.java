package io.depot.iscsi.scsi.xcopy;

import io.depot.iscsi.scsi.ScsiResult;

/** A parameter list or copy we refuse, carrying the CHECK CONDITION to answer with. Internal control flow only. */
final class CopyRejected extends Exception {
    final ScsiResult result;

    CopyRejected(ScsiResult result) {
        super(null, null, false, false);
        this.result = result;
    }
}
