package io.pgherd.fake;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/** {@code global/pg_control} as {@link FakePostgres} serves it to readFile: PostgreSQL 15's bytes. */
final class PgControl {
  static final int SHUT_DOWN = 1;
  static final int SHUT_DOWN_IN_RECOVERY = 2;
  static final int IN_ARCHIVE_RECOVERY = 5;
  static final int IN_PRODUCTION = 6;

  private PgControl() {}

  /** The data directory's pg_control now. */
  static byte[] of(PgData d) {
    return bytes(d.systemId, d.controlState, d.checkpointLsn, d.timeline);
  }

  /**
   * A PostgreSQL 15 {@code global/pg_control} (8192 bytes, little-endian, 64-bit layout) with the
   * fields {@code postgres.ControlFile} reads and a valid CRC-32C.
   */
  static byte[] bytes(long systemIdentifier, int state, long checkpointLsn, int timeline) {
    byte[] bytes = new byte[8192];
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(0, systemIdentifier);
    b.putInt(8, 1300); // PG_CONTROL_VERSION
    b.putInt(12, 202209061); // catalog version of 15
    b.putInt(16, state);
    b.putLong(32, checkpointLsn); // checkPoint
    b.putLong(40, checkpointLsn); // checkPointCopy.redo
    b.putInt(48, timeline); // checkPointCopy.ThisTimeLineID
    b.putInt(52, timeline); // checkPointCopy.PrevTimeLineID
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, 288);
    b.putInt(288, (int) crc.getValue());
    return bytes;
  }
}
