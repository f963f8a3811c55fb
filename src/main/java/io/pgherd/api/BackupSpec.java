package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * Continuous backup settings ({@code spec.backup}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupSpec {

  @JsonPropertyDescription("Quartz cron expression for scheduled base backups, e.g. \"0 0 2 * * ?\".")
  private String schedule;

  @JsonPropertyDescription("How many base backups to keep.")
  private RetentionSpec retention;

  @JsonPropertyDescription("Where backups go: s3 or filesystem (default: <home>/backups).")
  private ObjectStoreSpec objectStore;

  @JsonPropertyDescription("How base backups are compressed: zstd (default), gzip or none.")
  private String compression;

  public String getCompression() {
    return compression;
  }

  public void setCompression(String compression) {
    this.compression = compression;
  }

  public String getSchedule() {
    return schedule;
  }

  public void setSchedule(String schedule) {
    this.schedule = schedule;
  }

  public RetentionSpec getRetention() {
    return retention;
  }

  public void setRetention(RetentionSpec retention) {
    this.retention = retention;
  }

  public ObjectStoreSpec getObjectStore() {
    return objectStore;
  }

  public void setObjectStore(ObjectStoreSpec objectStore) {
    this.objectStore = objectStore;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof BackupSpec)) {
      return false;
    }
    BackupSpec other = (BackupSpec) o;
    return Objects.equals(schedule, other.schedule)
        && Objects.equals(retention, other.retention)
        && Objects.equals(objectStore, other.objectStore)
        && Objects.equals(compression, other.compression);
  }

  @Override
  public int hashCode() {
    return Objects.hash(schedule, retention, objectStore, compression);
  }

  @Override
  public String toString() {
    return "BackupSpec{"
        + "schedule=" + schedule
        + ", retention=" + retention
        + ", objectStore=" + objectStore
        + ", compression=" + compression
        + "}";
  }
}
