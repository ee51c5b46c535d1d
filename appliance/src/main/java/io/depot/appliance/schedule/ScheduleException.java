package io.depot.appliance.schedule;

/** A schedule request that cannot be done: bad input, no such schedule, or a name in use. */
public final class ScheduleException extends RuntimeException {
    public enum Kind { BAD_INPUT, NOT_FOUND, NAME_IN_USE }

    private final Kind kind;

    public ScheduleException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
