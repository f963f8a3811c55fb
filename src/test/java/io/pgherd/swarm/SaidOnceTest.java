package io.pgherd.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SaidOnceTest {
  @Test
  void aLastingFailureIsSaidOnceForEachDifferentMessageAndAgainAfterASuccess() {
    List<String> said = new ArrayList<>();
    SaidOnce failures = new SaidOnce("cannot look (again in 5 s)", said::add);
    failures.failed("no leader");
    failures.failed("no leader");
    failures.failed("timeout");
    failures.failed("timeout");
    failures.succeeded();
    failures.failed("timeout");
    assertThat(said).containsExactly("cannot look (again in 5 s): no leader", "cannot look (again in 5 s): timeout",
        "cannot look (again in 5 s): timeout");
  }
}
