package io.pgherd.backup;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgherd.objectstore.ObjectStore;
import io.pgherd.objectstore.ObjectStoreException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The base backups of a cluster in a store, read from their {@code pgherd.json} records. */
public final class BackupCatalog {
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final Pattern RECORD = Pattern.compile("([0-9]+)/base/(" + BaseBackup.ID.pattern() + ")/pgherd\\.json");

  private BackupCatalog() {}

  /**
   * Every backup of the cluster, all system identifiers, oldest first (ids sort by time).
   * A record that cannot be read is listed as failed with the reason, never skipped.
   */
  public static List<BackupInfo> list(ObjectStore store, String cluster) throws ObjectStoreException {
    String prefix = cluster + "/";
    List<BackupInfo> out = new ArrayList<>();
    for (ObjectStore.StoredObject o : store.list(prefix)) {
      Matcher m = RECORD.matcher(o.key().substring(prefix.length()));
      if (!m.matches()) {
        continue;
      }
      out.add(read(store, o.key(), m.group(2), m.group(1)));
    }
    out.sort(Comparator.comparing(BackupInfo::id).thenComparing(BackupInfo::systemIdentifier));
    return out;
  }

  /** The backups under one base ({@code CLUSTER/SYSID/}), oldest first. */
  public static List<BackupInfo> list(ObjectStore store, String cluster, String systemIdentifier)
      throws ObjectStoreException {
    return list(store, cluster).stream().filter(b -> b.systemIdentifier().equals(systemIdentifier)).toList();
  }

  public static Optional<BackupInfo> find(ObjectStore store, String base, String id) throws ObjectStoreException {
    String key = BaseBackup.prefix(base, id) + "pgherd.json";
    if (store.getBytes(key).isEmpty()) {
      return Optional.empty();
    }
    String sysid = base.substring(base.indexOf('/') + 1, base.length() - 1);
    return Optional.of(read(store, key, id, sysid));
  }

  private static BackupInfo read(ObjectStore store, String key, String id, String sysid) throws ObjectStoreException {
    Optional<byte[]> bytes = store.getBytes(key);
    if (bytes.isEmpty()) {
      return unreadable(id, sysid, "its record " + key + " vanished while listing");
    }
    try {
      BackupInfo b = JSON.readValue(bytes.get(), BackupInfo.class).withSystemIdentifier(sysid);
      return b.id() == null || b.state() == null ? unreadable(id, sysid, "its record " + key + " has no id or state") : b;
    } catch (IOException e) {
      return unreadable(id, sysid, "its record " + key + " is not valid JSON: " + e.getMessage());
    }
  }

  private static BackupInfo unreadable(String id, String sysid, String why) {
    return new BackupInfo(id, sysid, BackupInfo.FAILED, null, null, null, null, null, null, null, null, null, null,
        null, why);
  }
}
