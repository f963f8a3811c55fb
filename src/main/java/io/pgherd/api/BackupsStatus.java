package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Objects;

/**
 * Backup summary ({@code status.backups}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"last", "lastBackupId", "lastBackupBytes", "completeBackups", "firstRecoverabilityPoint", "nextScheduled", "running",
    "lastOutcome", "lastArchivedWal", "currentWal", "lastArchiveUpload", "archivedLsn", "archiveLagBytes", "archiveError"})
public class BackupsStatus {

  @JsonPropertyDescription("When the last successful base backup ended (ISO-8601).")
  private String last;

  @JsonPropertyDescription("The earliest point in time the cluster can be restored to (ISO-8601).")
  private String firstRecoverabilityPoint;

  @JsonPropertyDescription("The id of the newest complete base backup.")
  private String lastBackupId;

  @JsonPropertyDescription("Size in the object store (compressed) of the newest complete base backup.")
  private Long lastBackupBytes;

  public Long getLastBackupBytes() {
    return lastBackupBytes;
  }

  public void setLastBackupBytes(Long lastBackupBytes) {
    this.lastBackupBytes = lastBackupBytes;
  }

  @JsonPropertyDescription("How many complete base backups the store holds for this cluster (this system identifier).")
  private Integer completeBackups;

  @JsonPropertyDescription("When the next scheduled base backup is due (ISO-8601).")
  private String nextScheduled;

  @JsonPropertyDescription("The base backup being taken now, with its progress.")
  private BackupRunStatus running;

  @JsonPropertyDescription("How the last base backup this operator ran ended.")
  private BackupOutcomeStatus lastOutcome;

  @JsonPropertyDescription("Bytes of WAL the primary has written that the object store does not hold yet.")
  private Long archiveLagBytes;

  @JsonPropertyDescription("The WAL position the object store holds everything up to (partial segment included).")
  private String archivedLsn;

  public String getArchivedLsn() {
    return archivedLsn;
  }

  public void setArchivedLsn(String archivedLsn) {
    this.archivedLsn = archivedLsn;
  }

  @JsonPropertyDescription("The newest complete WAL segment in the object store.")
  private String lastArchivedWal;

  @JsonPropertyDescription("The WAL segment being written, kept current in the object store as SEGMENT.partial.")
  private String currentWal;

  @JsonPropertyDescription("When WAL was last stored (ISO-8601).")
  private String lastArchiveUpload;

  @JsonPropertyDescription("Why WAL cannot be stored right now (it is kept and retried), if it cannot.")
  private String archiveError;

  public String getLastBackupId() {
    return lastBackupId;
  }

  public void setLastBackupId(String lastBackupId) {
    this.lastBackupId = lastBackupId;
  }

  public Integer getCompleteBackups() {
    return completeBackups;
  }

  public void setCompleteBackups(Integer completeBackups) {
    this.completeBackups = completeBackups;
  }

  public String getNextScheduled() {
    return nextScheduled;
  }

  public void setNextScheduled(String nextScheduled) {
    this.nextScheduled = nextScheduled;
  }

  public BackupRunStatus getRunning() {
    return running;
  }

  public void setRunning(BackupRunStatus running) {
    this.running = running;
  }

  public BackupOutcomeStatus getLastOutcome() {
    return lastOutcome;
  }

  public void setLastOutcome(BackupOutcomeStatus lastOutcome) {
    this.lastOutcome = lastOutcome;
  }

  public Long getArchiveLagBytes() {
    return archiveLagBytes;
  }

  public void setArchiveLagBytes(Long archiveLagBytes) {
    this.archiveLagBytes = archiveLagBytes;
  }

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
        && Objects.equals(archiveError, other.archiveError)
        && Objects.equals(lastBackupId, other.lastBackupId)
        && Objects.equals(lastBackupBytes, other.lastBackupBytes)
        && Objects.equals(completeBackups, other.completeBackups)
        && Objects.equals(nextScheduled, other.nextScheduled)
        && Objects.equals(running, other.running)
        && Objects.equals(lastOutcome, other.lastOutcome)
        && Objects.equals(archiveLagBytes, other.archiveLagBytes)
        && Objects.equals(archivedLsn, other.archivedLsn);
  }

  @Override
  public int hashCode() {
    return Objects.hash(last, firstRecoverabilityPoint, lastArchivedWal, currentWal, lastArchiveUpload, archiveError,
        lastBackupId, lastBackupBytes, completeBackups, nextScheduled, running, lastOutcome, archiveLagBytes, archivedLsn);
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
        + ", lastBackupId=" + lastBackupId
        + ", lastBackupBytes=" + lastBackupBytes
        + ", completeBackups=" + completeBackups
        + ", nextScheduled=" + nextScheduled
        + ", running=" + running
        + ", lastOutcome=" + lastOutcome
        + ", archiveLagBytes=" + archiveLagBytes
        + "}";
  }
}
