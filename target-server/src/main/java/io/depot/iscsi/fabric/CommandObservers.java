package io.depot.iscsi.fabric;

/**
 * Gives each SCSI operation code its {@link CommandObserver}; asked once per opcode (the first
 * time a command with it completes), never per command.
 */
@FunctionalInterface
public interface CommandObservers {
    CommandObserver forOpcode(int opcode);

    CommandObservers NONE = opcode -> CommandObserver.NONE;
}
