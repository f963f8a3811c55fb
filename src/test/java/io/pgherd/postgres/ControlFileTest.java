package io.pgherd.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.model.Lsn;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** Fixtures: real PostgreSQL 15 pg_control files; the expected values are pg_controldata's. */
class ControlFileTest {
  private static byte[] fixture(String name) throws Exception {
    try (InputStream in = ControlFileTest.class.getResourceAsStream("/pg_control/" + name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void readsACleanShutdown() throws Exception {
    ControlFile c = ControlFile.parse(fixture("shut-down-0-1B358A8-tl1"));
    assertThat(c.systemIdentifier()).isEqualTo(7712231292161911861L);
    assertThat(c.cleanlyShutDown()).isTrue();
    assertThat(c.stateName()).isEqualTo("shut down");
    assertThat(Lsn.format(c.checkpointLsn())).isEqualTo("0/1B358A8");
    assertThat(c.timeline()).isEqualTo(1);
  }

  @Test
  void aRunningServerIsNotCleanlyShutDown() throws Exception {
    ControlFile c = ControlFile.parse(fixture("in-production-0-1B358A8-tl1"));
    assertThat(c.cleanlyShutDown()).isFalse();
    assertThat(c.stateName()).isEqualTo("in production");
    assertThat(c.toString()).isEqualTo("in production, checkpoint at 0/1B358A8 on timeline 1");
  }

  @Test
  void refusesADamagedFile() throws Exception {
    byte[] bytes = fixture("shut-down-0-1B358A8-tl1");
    bytes[40] ^= 1;
    assertThatThrownBy(() -> ControlFile.parse(bytes)).hasMessageContaining("checksum mismatch");
  }

  @Test
  void refusesAnotherVersionOrAShortFile() throws Exception {
    byte[] bytes = fixture("shut-down-0-1B358A8-tl1");
    bytes[8] = 0x0f; // 1295
    assertThatThrownBy(() -> ControlFile.parse(bytes)).hasMessageContaining("is not PostgreSQL 15's");
    assertThatThrownBy(() -> ControlFile.parse(new byte[10])).hasMessageContaining("too short");
  }
}
