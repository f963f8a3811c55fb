package io.pgherd.postgres;

import io.pgherd.model.Lsn;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The few fields of a stopped server's {@code global/pg_control} a switchover needs: was it shut
 * down cleanly, and where is its last (shutdown) checkpoint. Read straight from the file (the
 * container is stopped, so {@code pg_controldata} cannot run in it), for PostgreSQL 15 on a
 * little-endian 64-bit machine; the version number and the CRC are checked, so a file of another
 * layout is refused rather than misread.
 *
 * @param state DBState: 1 shut down, 2 shut down in recovery, 6 in production, ...
 * @param checkpointLsn "Latest checkpoint location"
 * @param timeline "Latest checkpoint's TimeLineID"
 */
public record ControlFile(long systemIdentifier, int state, long checkpointLsn, int timeline) {
  public static final int SHUT_DOWN = 1;
  public static final int SHUT_DOWN_IN_RECOVERY = 2;
  private static final int PG_CONTROL_VERSION_15 = 1300;
  private static final String[] STATES = {"starting up", "shut down", "shut down in recovery", "shutting down",
      "in crash recovery", "in archive recovery", "in production"};

  /** Layout (pg_control.h, 64-bit): identifier 0, version 8, state 16, checkPoint 32, ThisTimeLineID 48. */
  public static ControlFile parse(byte[] bytes) {
    if (bytes.length < 296) {
      throw new IllegalArgumentException("pg_control is " + bytes.length + " bytes, too short");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int version = b.getInt(8);
    if (version != PG_CONTROL_VERSION_15) {
      throw new IllegalArgumentException("pg_control version " + version + " is not PostgreSQL 15's ("
          + PG_CONTROL_VERSION_15 + ")");
    }
    // The CRC-32C of everything before the crc field, which is the last field (offset 288 in 15).
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, 288);
    int stored = b.getInt(288);
    if ((int) crc.getValue() != stored) {
      throw new IllegalArgumentException("pg_control checksum mismatch: the file is damaged or of another layout");
    }
    return new ControlFile(b.getLong(0), b.getInt(16), b.getLong(32), b.getInt(48));
  }

  public boolean cleanlyShutDown() {
    return state == SHUT_DOWN || state == SHUT_DOWN_IN_RECOVERY;
  }

  public String stateName() {
    return state >= 0 && state < STATES.length ? STATES[state] : "unknown state " + state;
  }

  @Override
  public String toString() {
    return stateName() + ", checkpoint at " + Lsn.format(checkpointLsn) + " on timeline " + timeline;
  }
}
