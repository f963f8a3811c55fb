package io.pgherd.failover;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RejoinHowTest {
  @Test
  void theLastMarkerInTheLogSaysHowTheMemberCameToStream() {
    String cloned = "entrypoint: clone complete; standby.signal written\n";
    assertThat(Rejoin.howRejoined(cloned)).isEqualTo("a new clone");
    assertThat(Rejoin.howRejoined(cloned + "entrypoint: rejoin: pg_rewind succeeded; standby.signal written\n"))
        .isEqualTo("pg_rewind");
    assertThat(Rejoin.howRejoined(cloned + "entrypoint: rejoin: re-cloned\n")).isEqualTo("re-cloned (pg_rewind failed)");
    // a cleanly demoted primary started again as a standby by its agent, in the container that was cloned once
    assertThat(Rejoin.howRejoined(cloned + "agent: start asked by the operator (as a standby); it was stopped\n"))
        .isEqualTo("its data as it was");
    assertThat(Rejoin.howRejoined("")).isEqualTo("its data as it was");
  }
}
