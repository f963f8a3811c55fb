package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A restore from backups under way, refused or failed ({@code status.restore}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RestoreStatus {

  @JsonPropertyDescription("planning, staging, recovering, refused or failed.")
  private String state;

  @JsonPropertyDescription("The cluster whose backups are restored.")
  private String from;

  @JsonPropertyDescription("Where recovery stops.")
  private String target;

  @JsonPropertyDescription("The base backup restored.")
  private String backup;

  @JsonPropertyDescription("The WAL range replayed (first .. last segment).")
  private String wal;

  @JsonPropertyDescription("Bytes of WAL staged.")
  private Long walBytes;

  @JsonPropertyDescription("What it is doing now, or why it was refused or failed (with the recoverable range).")
  private String message;

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  public String getFrom() {
    return from;
  }

  public void setFrom(String from) {
    this.from = from;
  }

  public String getTarget() {
    return target;
  }

  public void setTarget(String target) {
    this.target = target;
  }

  public String getBackup() {
    return backup;
  }

  public void setBackup(String backup) {
    this.backup = backup;
  }

  public String getWal() {
    return wal;
  }

  public void setWal(String wal) {
    this.wal = wal;
  }

  public Long getWalBytes() {
    return walBytes;
  }

  public void setWalBytes(Long walBytes) {
    this.walBytes = walBytes;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof RestoreStatus other)) {
      return false;
    }
    return Objects.equals(state, other.state)
        && Objects.equals(from, other.from)
        && Objects.equals(target, other.target)
        && Objects.equals(backup, other.backup)
        && Objects.equals(wal, other.wal)
        && Objects.equals(walBytes, other.walBytes)
        && Objects.equals(message, other.message);
  }

  @Override
  public int hashCode() {
    return Objects.hash(state, from, target, backup, wal, walBytes, message);
  }

  @Override
  public String toString() {
    return "RestoreStatus{" + "state=" + state + ", " + "from=" + from + ", " + "target=" + target + ", " + "backup=" + backup + ", " + "wal=" + wal + ", " + "walBytes=" + walBytes + ", " + "message=" + message + "}";
  }
}
