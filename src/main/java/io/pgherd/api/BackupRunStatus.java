package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** A base backup being taken ({@code status.backups.running}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BackupRunStatus {

  @JsonPropertyDescription("The backup id (UTC time, yyyyMMddTHHmmssZ).")
  private String id;

  @JsonPropertyDescription("schedule or manual.")
  private String trigger;

  @JsonPropertyDescription("The member it is taken from.")
  private String member;

  @JsonPropertyDescription("When it started (ISO-8601).")
  private String started;

  @JsonPropertyDescription("Bytes of PostgreSQL tar read so far.")
  private Long bytes;

  @JsonPropertyDescription("pg_basebackup estimate of the whole.")
  private Long totalBytes;

  @JsonPropertyDescription("Average rate since the start.")
  private Long bytesPerSecond;

  @JsonPropertyDescription("The same in words: MB done, of ~MB, percent, rate, ETA.")
  private String progress;

  public String getId() {
    return id;
  }

  public void setId(String id) {
    this.id = id;
  }

  public String getTrigger() {
    return trigger;
  }

  public void setTrigger(String trigger) {
    this.trigger = trigger;
  }

  public String getMember() {
    return member;
  }

  public void setMember(String member) {
    this.member = member;
  }

  public String getStarted() {
    return started;
  }

  public void setStarted(String started) {
    this.started = started;
  }

  public Long getBytes() {
    return bytes;
  }

  public void setBytes(Long bytes) {
    this.bytes = bytes;
  }

  public Long getTotalBytes() {
    return totalBytes;
  }

  public void setTotalBytes(Long totalBytes) {
    this.totalBytes = totalBytes;
  }

  public Long getBytesPerSecond() {
    return bytesPerSecond;
  }

  public void setBytesPerSecond(Long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  public String getProgress() {
    return progress;
  }

  public void setProgress(String progress) {
    this.progress = progress;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof BackupRunStatus other)) {
      return false;
    }
    return Objects.equals(id, other.id)
        && Objects.equals(trigger, other.trigger)
        && Objects.equals(member, other.member)
        && Objects.equals(started, other.started)
        && Objects.equals(bytes, other.bytes)
        && Objects.equals(totalBytes, other.totalBytes)
        && Objects.equals(bytesPerSecond, other.bytesPerSecond)
        && Objects.equals(progress, other.progress);
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, trigger, member, started, bytes, totalBytes, bytesPerSecond, progress);
  }

  @Override
  public String toString() {
    return "BackupRunStatus{" + "id=" + id + ", " + "trigger=" + trigger + ", " + "member=" + member + ", " + "started=" + started + ", " + "bytes=" + bytes + ", " + "totalBytes=" + totalBytes + ", " + "bytesPerSecond=" + bytesPerSecond + ", " + "progress=" + progress + "}";
  }
}
