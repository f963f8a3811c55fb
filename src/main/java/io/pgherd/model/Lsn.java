package io.pgherd.model;

/** PostgreSQL WAL positions ("16/B374D848") as numbers. */
public final class Lsn {
  private Lsn() {}

  /** The position as a number; -1 for null (unknown). */
  public static long parse(String lsn) {
    if (lsn == null) {
      return -1;
    }
    int slash = lsn.indexOf('/');
    if (slash <= 0 || slash == lsn.length() - 1) {
      throw new IllegalArgumentException("not an LSN: " + lsn);
    }
    return (Long.parseLong(lsn.substring(0, slash), 16) << 32) | Long.parseLong(lsn.substring(slash + 1), 16);
  }

  public static String format(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
  }
}
