package io.pgherd.postgres;

import java.util.Optional;

/**
 * How far a member being restored has got with what the operator stages into it, as its agent
 * (in its restore mode) answers {@code GET /v1/restore}.
 *
 * @param receiving a base backup is being unpacked now
 * @param unpacked the base backup is unpacked ({@code restore/data/PG_VERSION})
 * @param staged the WAL and the target are there ({@code restore/STAGED})
 * @param ready both: the entrypoint recovers from them ({@code restore/READY}; gone once the restore is complete)
 * @param dataDirectory the unpacked backup has become the data directory ({@code $PGDATA/PG_VERSION})
 * @param failed why an earlier attempt failed ({@code restore/FAILED}), when one did
 */
public record AgentRestore(boolean receiving, boolean unpacked, boolean staged, boolean ready, boolean dataDirectory,
    Optional<String> failed) {

  /** Staging that nobody finishes any more unless it is going on now: neither READY nor a data directory. */
  public boolean stagingUnfinished() {
    return !receiving && !ready && !dataDirectory;
  }
}
