package io.pgherd.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * One base backup as its {@code pgherd.json} describes it ({@link BaseBackup}).
 *
 * @param systemIdentifier the PostgreSQL system identifier it belongs to (from its key)
 * @param state {@link #RUNNING}, {@link #COMPLETE} or {@link #FAILED}
 * @param started when pgherd started it; finished when it ended (complete or failed)
 * @param startLsn/stopLsn the WAL range a restore must replay, on {@code timeline}
 * @param tarBytes the tar's size; storedBytes the compressed object's
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupInfo(String id, String systemIdentifier, String state, String member, String started,
    String finished, String startLsn, String stopLsn, Long timeline, Long tarBytes, Long storedBytes,
    String sha256, String compression, String serverStartTime, String error) {
  public static final String RUNNING = "running";
  public static final String COMPLETE = "complete";
  public static final String FAILED = "failed";

  public boolean complete() {
    return COMPLETE.equals(state);
  }

  public BackupInfo withSystemIdentifier(String sysid) {
    return new BackupInfo(id, sysid, state, member, started, finished, startLsn, stopLsn, timeline, tarBytes,
        storedBytes, sha256, compression, serverStartTime, error);
  }

  public Instant finishedAt() {
    return finished == null ? null : Instant.parse(finished);
  }
}
