package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * Backup summary ({@code status.backups}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"last", "firstRecoverabilityPoint", "lastArchivedWal", "currentWal", "lastArchiveUpload",
    "archiveError"})
public class BackupsStatus {

  @JsonPropertyDescription("When the last successful base backup ended (ISO-8601).")
  private String last;

  @JsonPropertyDescription("The earliest point in time the cluster can be restored to (ISO-8601).")
  private String firstRecoverabilityPoint;

  @JsonPropertyDescription("The newest complete WAL segment in the object store.")
  private String lastArchivedWal;

  @JsonPropertyDescription("The WAL segment being written, kept current in the object store as SEGMENT.partial.")
  private String currentWal;

  @JsonPropertyDescription("When WAL was last stored (ISO-8601).")
  private String lastArchiveUpload;

  @JsonPropertyDescription("Why WAL cannot be stored right now (it is kept and retried), if it cannot.")
  private String archiveError;

  public String getLastArchivedWal() {
    return lastArchivedWal;
  }

  public void setLastArchivedWal(String lastArchivedWal) {
    this.lastArchivedWal = lastArchivedWal;
  }

  public String getCurrentWal() {
    return currentWal;
  }

  public void setCurrentWal(String currentWal) {
    this.currentWal = currentWal;
  }

  public String getLastArchiveUpload() {
    return lastArchiveUpload;
  }

  public void setLastArchiveUpload(String lastArchiveUpload) {
    this.lastArchiveUpload = lastArchiveUpload;
  }

  public String getArchiveError() {
    return archiveError;
  }

  public void setArchiveError(String archiveError) {
    this.archiveError = archiveError;
  }

  public String getLast() {
    return last;
  }

  public void setLast(String last) {
    this.last = last;
  }

  public String getFirstRecoverabilityPoint() {
    return firstRecoverabilityPoint;
  }

  public void setFirstRecoverabilityPoint(String firstRecoverabilityPoint) {
    this.firstRecoverabilityPoint = firstRecoverabilityPoint;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof BackupsStatus)) {
      return false;
    }
    BackupsStatus other = (BackupsStatus) o;
    return Objects.equals(last, other.last)
        && Objects.equals(firstRecoverabilityPoint, other.firstRecoverabilityPoint)
        && Objects.equals(lastArchivedWal, other.lastArchivedWal)
        && Objects.equals(currentWal, other.currentWal)
        && Objects.equals(lastArchiveUpload, other.lastArchiveUpload)
        && Objects.equals(archiveError, other.archiveError);
  }

  @Override
  public int hashCode() {
    return Objects.hash(last, firstRecoverabilityPoint, lastArchivedWal, currentWal, lastArchiveUpload, archiveError);
  }

  @Override
  public String toString() {
    return "BackupsStatus{"
        + "last=" + last
        + ", firstRecoverabilityPoint=" + firstRecoverabilityPoint
        + ", lastArchivedWal=" + lastArchivedWal
        + ", currentWal=" + currentWal
        + ", lastArchiveUpload=" + lastArchiveUpload
        + ", archiveError=" + archiveError
        + "}";
  }
}
