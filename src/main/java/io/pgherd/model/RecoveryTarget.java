package io.pgherd.model;

/**
 * Where a point-in-time recovery stops: kind latest | immediate | time | xid | lsn | name, the
 * value for time, xid, lsn and name, and whether the target itself is included.
 */
public record RecoveryTarget(String kind, String value, boolean inclusive) {
  public static RecoveryTarget latest() {
    return new RecoveryTarget("latest", null, true);
  }

  public String describe() {
    return switch (kind) {
      case "latest" -> "the end of the archive";
      case "immediate" -> "the end of the base backup (immediate)";
      default -> kind + " " + value + (inclusive ? "" : " (exclusive)");
    };
  }
}
