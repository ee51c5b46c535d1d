package io.depot.engine.crash;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One worker run's journal, parsed. Lines, in the order the worker wrote them:
 * <pre>
 * W id vol offset length fua   intent to write (payload from {@link SectorPayload})
 * U id vol offset length       intent to unmap
 * C id                         the operation returned
 * D k                          a flush returned that started after the first k C records
 * F id k                       FUA write id returned: it and the first k C records are durable
 * S name vols k                about to snapshot the (quiesced) volumes, after the first k C records
 * SD name                      the snapshot call returned (a durability point for its k)
 * X vol name / XD vol name     about to delete / deleted a snapshot
 * </pre>
 * A kill can cut the last line short; an unterminated line is ignored, which is safe because the
 * worker acts on a record only after writing it whole.
 */
final class Journal {
    sealed interface Record permits Op, SnapshotBegin, SnapshotDone, DeleteBegin, DeleteDone {}

    /** A write or an unmap: the sectors it covers are {@code [offset, offset+length)} of volume {@code volume}. */
    record Op(long id, boolean unmap, int volume, long offset, long length, boolean fua) implements Record {
        long firstSector() { return offset / CrashLayout.SECTOR; }

        long endSector() { return (offset + length) / CrashLayout.SECTOR; }

        boolean covers(int vol, long sector) { return vol == volume && sector >= firstSector() && sector < endSector(); }

        @Override
        public String toString() {
            return (unmap ? "unmap " : fua ? "FUA write " : "write ") + id + " (volume " + volume + ", offset " + offset + ", length " + length + ")";
        }
    }

    record SnapshotBegin(String name, int[] volumes, long covered) implements Record {}

    record SnapshotDone(String name) implements Record {}

    record DeleteBegin(int volume, String name) implements Record {}

    record DeleteDone(int volume, String name) implements Record {}

    final List<Record> records = new ArrayList<>();
    /** Ids in the order their C records were written. */
    final List<Long> completionOrder = new ArrayList<>();
    /** Ids known durable: the first k completions for the largest k any durability point claims, plus FUA writes. */
    final Set<Long> durable = new HashSet<>();
    /** The largest k claimed, and which record claimed it (for failure messages). */
    long durableCount;
    String durableClaim = "no durability point";
    long maxId;
    int lines;

    static Journal read(Path path) throws IOException {
        Journal j = new Journal();
        String text = Files.readString(path, StandardCharsets.US_ASCII);
        String[] lines = text.split("\n", -1);
        // the last element is "" when the file ends with a newline, else a cut-off line: both are skipped
        java.util.Map<String, Long> snapshotCovers = new java.util.HashMap<>();
        for (int i = 0; i < lines.length - 1; i++) {
            j.lines++;
            String[] f = lines[i].split(" ");
            switch (f[0]) {
                case "W" -> j.add(new Op(Long.parseLong(f[1]), false, Integer.parseInt(f[2]), Long.parseLong(f[3]),
                        Long.parseLong(f[4]), f[5].equals("1")));
                case "U" -> j.add(new Op(Long.parseLong(f[1]), true, Integer.parseInt(f[2]), Long.parseLong(f[3]),
                        Long.parseLong(f[4]), false));
                case "C" -> j.completionOrder.add(Long.parseLong(f[1]));
                case "D" -> j.claim(Long.parseLong(f[1]), "flush marker on journal line " + (i + 1));
                case "F" -> {
                    j.durable.add(Long.parseLong(f[1]));
                    j.claim(Long.parseLong(f[2]), "FUA write " + f[1] + " on journal line " + (i + 1));
                }
                case "S" -> {
                    int[] vols = java.util.Arrays.stream(f[2].split(",")).mapToInt(Integer::parseInt).toArray();
                    j.records.add(new SnapshotBegin(f[1], vols, Long.parseLong(f[3])));
                    snapshotCovers.put(f[1], Long.parseLong(f[3]));
                }
                case "SD" -> {
                    j.records.add(new SnapshotDone(f[1]));
                    j.claim(snapshotCovers.get(f[1]), "snapshot " + f[1] + " created (journal line " + (i + 1) + ")");
                }
                case "X" -> j.records.add(new DeleteBegin(Integer.parseInt(f[1]), f[2]));
                case "XD" -> j.records.add(new DeleteDone(Integer.parseInt(f[1]), f[2]));
                default -> throw new IOException("unknown journal record on line " + (i + 1) + ": " + lines[i]);
            }
        }
        for (int i = 0; i < j.durableCount; i++) {
            j.durable.add(j.completionOrder.get(i));
        }
        return j;
    }

    private void add(Op op) {
        if (op.id() <= maxId) {
            throw new IllegalStateException("journal ids must ascend: " + op.id() + " after " + maxId);
        }
        maxId = op.id();
        records.add(op);
    }

    private void claim(long covered, String by) {
        if (covered > completionOrder.size()) {
            throw new IllegalStateException(by + " claims " + covered + " completions but only " + completionOrder.size() + " precede it");
        }
        if (covered >= durableCount) {
            durableCount = covered;
            durableClaim = by + " (covers the first " + covered + " completed operations)";
        }
    }

    boolean isDurable(long id) { return durable.contains(id); }

    List<Op> ops() {
        return records.stream().filter(r -> r instanceof Op).map(r -> (Op) r).toList();
    }
}
