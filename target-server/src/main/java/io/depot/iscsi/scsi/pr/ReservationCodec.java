package io.depot.iscsi.scsi.pr;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The persisted form of {@link ReservationState}: a magic, a version byte, then the fields.
 * Version 1:
 * <pre>
 *   'D' 'P' 'R' 1 | generation u32 | flags u8 (bit0 APTPL) | count u16
 *   count x ( key u64 | isid i64 (-1 any) | relative port u16 (0 all) | name u16 length + UTF-8 )
 *   type u8 (0 none) | holder index i16 (-1 none / all registrants)
 * </pre>
 */
final class ReservationCodec {
    private static final int MAGIC = ('D' << 16) | ('P' << 8) | 'R';
    static final int VERSION = 1;

    private ReservationCodec() {}

    static byte[] encode(ReservationState s) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 64 * s.registrations().size());
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt((MAGIC << 8) | VERSION);
            out.writeInt(s.generation());
            out.writeByte(s.aptpl() ? 1 : 0);
            out.writeShort(s.registrations().size());
            for (Registration r : s.registrations()) {
                out.writeLong(r.key());
                out.writeLong(r.isid());
                out.writeShort(r.relativePortId());
                out.writeUTF(r.initiatorName());
            }
            out.writeByte(s.type() == null ? 0 : s.type().code);
            out.writeShort(s.holder() == null ? -1 : s.registrations().indexOf(s.holder()));
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
    }

    /** Decodes a saved state; throws IllegalArgumentException if the bytes are not one. */
    static ReservationState decode(byte[] b) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
            int head = in.readInt();
            if (head >>> 8 != MAGIC) {
                throw new IllegalArgumentException("not a reservation state");
            }
            if ((head & 0xff) != VERSION) {
                throw new IllegalArgumentException("unknown reservation state version " + (head & 0xff));
            }
            int generation = in.readInt();
            boolean aptpl = (in.readByte() & 1) != 0;
            int count = in.readUnsignedShort();
            List<Registration> regs = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long key = in.readLong();
                long isid = in.readLong();
                int port = in.readUnsignedShort();
                regs.add(new Registration(key, in.readUTF(), isid, port));
            }
            int typeCode = in.readUnsignedByte();
            int holderIndex = in.readShort();
            if (in.available() != 0) {
                throw new IllegalArgumentException("trailing bytes");
            }
            ReservationType type = typeCode == 0 ? null : ReservationType.of(typeCode);
            if (typeCode != 0 && type == null || holderIndex >= count) {
                throw new IllegalArgumentException("bad reservation");
            }
            Registration holder = null;
            if (type != null && !type.allRegistrants()) {
                if (holderIndex < 0) {
                    throw new IllegalArgumentException("reservation without holder");
                }
                holder = regs.get(holderIndex);
            }
            return new ReservationState(regs, type, holder, generation, aptpl);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated reservation state", e);
        }
    }
}
