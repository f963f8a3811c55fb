package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** How the last base backup the operator ran ended ({@code status.backups.lastOutcome}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupOutcomeStatus {

  @JsonPropertyDescription("The backup id.")
  private String id;

  @JsonPropertyDescription("True when it completed (restorable), false when it failed.")
  private Boolean ok;

  @JsonPropertyDescription("What happened: size, rate and WAL range, or why it failed.")
  private String message;

  @JsonPropertyDescription("When it ended (ISO-8601).")
  private String at;

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public Boolean getOk() {
    return ok;
  }

  public void setOk(Boolean ok) {
    this.ok = ok;
  }

  public String getMessage() {
    return message;
  }

  public void setMessage(String message) {
    this.message = message;
  }

  public String getAt() {
    return at;
  }

  public void setAt(String at) {
    this.at = at;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof BackupOutcomeStatus other)) {
      return false;
    }
    return Objects.equals(id, other.id)
        && Objects.equals(ok, other.ok)
        && Objects.equals(message, other.message)
        && Objects.equals(at, other.at);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, ok, message, at);
  }

  @Override
  public String toString() {
    return "BackupOutcomeStatus{" + "id=" + id + ", " + "ok=" + ok + ", " + "message=" + message + ", " + "at=" + at + "}";
  }
}
