package io.depot.appliance.api;

import io.depot.appliance.api.Views.IntegrityView;
import io.depot.appliance.daemon.Appliance;

/**
 * {@code GET /api/v1/integrity}: every damaged block the pool knows (checksum mismatches found by
 * reads and scrubs, kept until overwritten, unmapped or freed), with the volume, snapshot and offset
 * each was found through. The list is the operator's to-do: restore those ranges from a backup.
 */
final class IntegrityResource {
    /** More than this many is listed as a count only: a badly damaged disk must not make a huge answer. */
    static final int MAX_LISTED = 10_000;

    private final Appliance appliance;

    IntegrityResource(Appliance appliance) {
        this.appliance = appliance;
    }

    void register(Router r) {
        r.add("GET", "/api/v1/integrity", req -> Response.ok(IntegrityView.of(appliance.pool().integrity(), MAX_LISTED)));
    }
}
