package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * Where a recovery stops ({@code spec.bootstrap.recovery.target}): at most one of
 * time, xid, lsn, name and immediate.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RecoveryTargetSpec {

  @JsonPropertyDescription("Timestamp, ISO-8601 with offset or 'YYYY-MM-DD HH:MM:SS[+TZ]'.")
  private String time;

  @JsonPropertyDescription("Transaction id (digits).")
  private String xid;

  @JsonPropertyDescription("WAL location, e.g. 0/3000060.")
  private String lsn;

  @JsonPropertyDescription("Restore point name (pg_create_restore_point).")
  private String name;

  @JsonPropertyDescription("Stop as soon as a consistent state is reached.")
  private Boolean immediate;

  @JsonPropertyDescription("Stop just after (true, default) or just before the target.")
  private Boolean inclusive;

  public String getTime() {
    return time;
  }

  public void setTime(String time) {
    this.time = time;
  }

  public String getXid() {
    return xid;
  }

  public void setXid(String xid) {
    this.xid = xid;
  }

  public String getLsn() {
    return lsn;
  }

  public void setLsn(String lsn) {
    this.lsn = lsn;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public Boolean getImmediate() {
    return immediate;
  }

  public void setImmediate(Boolean immediate) {
    this.immediate = immediate;
  }

  public Boolean getInclusive() {
    return inclusive;
  }

  public void setInclusive(Boolean inclusive) {
    this.inclusive = inclusive;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RecoveryTargetSpec)) {
      return false;
    }
    RecoveryTargetSpec other = (RecoveryTargetSpec) o;
    return Objects.equals(time, other.time)
        && Objects.equals(xid, other.xid)
        && Objects.equals(lsn, other.lsn)
        && Objects.equals(name, other.name)
        && Objects.equals(immediate, other.immediate)
        && Objects.equals(inclusive, other.inclusive);
  }

  @Override
  public int hashCode() {
    return Objects.hash(time, xid, lsn, name, immediate, inclusive);
  }

  @Override
  public String toString() {
    return "RecoveryTargetSpec{"
        + "time=" + time
        + ", xid=" + xid
        + ", lsn=" + lsn
        + ", name=" + name
        + ", immediate=" + immediate
        + ", inclusive=" + inclusive
        + "}";
  }
}
