package io.pgherd.backup;

import java.util.regex.Pattern;

/**
 * Where a cluster's WAL goes in the object store (docs/backup.md):
 * <pre>
 *   CLUSTER/SYSID/wal/TTTTTTTT.history                     timeline history files, as they are
 *   CLUSTER/SYSID/wal/TTTTTTTT/SEGMENT.gz                  complete segments, gzip
 *   CLUSTER/SYSID/wal/TTTTTTTT/SEGMENT.partial.gz          the segment being written, kept current
 * </pre>
 * SYSID is PostgreSQL's system identifier, so a cluster re-created under the same name never
 * mixes its WAL with the old one's; TTTTTTTT is the timeline, the first 8 hex digits of a
 * segment name.
 */
public final class WalLayout {
  public static final Pattern SEGMENT = Pattern.compile("[0-9A-F]{24}");
  public static final Pattern PARTIAL = Pattern.compile("([0-9A-F]{24})\\.partial");
  public static final Pattern HISTORY = Pattern.compile("[0-9A-F]{8}\\.history");

  private WalLayout() {}

  /** CLUSTER/SYSID/ */
  public static String base(String cluster, String systemIdentifier) {
    if (!cluster.matches("[a-z0-9][a-z0-9-]*") || !systemIdentifier.matches("[0-9]+")) {
      throw new IllegalArgumentException("bad cluster or system identifier: " + cluster + "/" + systemIdentifier);
    }
    return cluster + "/" + systemIdentifier + "/";
  }

  public static String segmentKey(String base, String segment) {
    return base + "wal/" + segment.substring(0, 8) + "/" + segment + ".gz";
  }

  public static String partialKey(String base, String segment) {
    return base + "wal/" + segment.substring(0, 8) + "/" + segment + ".partial.gz";
  }

  public static String historyKey(String base, String historyFile) {
    return base + "wal/" + historyFile;
  }
}
