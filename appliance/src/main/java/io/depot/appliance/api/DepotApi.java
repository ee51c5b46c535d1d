package io.depot.appliance.api;

import io.depot.appliance.daemon.Appliance;

/** Every resource of the API, version 1, on one router. */
public final class DepotApi {
    private DepotApi() {}

    public static Router router(Appliance appliance) {
        Router r = new Router();
        VolumeResource volumes = new VolumeResource(appliance);
        new SystemResource(appliance).register(r);
        new IntegrityResource(appliance).register(r);
        volumes.register(r);
        new SnapshotResource(appliance, volumes).register(r);
        new BackupResource(appliance, volumes).register(r);
        new JobResource(appliance).register(r);
        new ScheduleResource(appliance, java.time.Clock.systemUTC()).register(r);
        new IscsiResource(appliance).register(r);
        new NfsResource(appliance).register(r);
        new ScrubResource(appliance, java.time.Clock.systemUTC()).register(r);
        return r;
    }
}
