package io.pgherd.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-over of switchover/failover requests between the CLI and the operator. */
class ControlRequestStoreTest {
  @TempDir Path dir;

  @Test
  void aRequestIsTakenOnceAndAnsweredUnderItsId() {
    Home home = new Home(dir);
    ControlRequest r = new ControlRequest("abc123", ControlRequest.SWITCHOVER, "demo-2", false, "2026-01-01T00:00:00Z");
    assertThat(home.requests().submit("demo", r)).isTrue();
    assertThat(home.requests().submit("demo", new ControlRequest("other", ControlRequest.FAILOVER, "demo-3", true, "t")))
        .as("a second request while one is pending").isFalse();
    assertThat(home.requests().takeControlRequest("demo")).contains(r);
    assertThat(home.requests().takeControlRequest("demo")).isEmpty();
    assertThat(home.requests().withdraw("demo")).as("taken already: nothing to withdraw").isFalse();
    home.requests().answer("demo", new ControlRequest.Result("abc123", true, "demo-2 is the primary", "t"));
    assertThat(home.requests().takeAnswer("demo", "other")).isEmpty();
    assertThat(home.requests().takeAnswer("demo", "abc123")).hasValueSatisfying(a -> {
      assertThat(a.ok()).isTrue();
      assertThat(a.message()).isEqualTo("demo-2 is the primary");
    });
    assertThat(home.requests().takeAnswer("demo", "abc123")).as("removed once read").isEmpty();
  }

  @Test
  void aRestoreRequestCarriesItsTargetAndItsIntentSurvivesARestart() {
    Home home = new Home(dir);
    var target = new io.pgherd.model.RecoveryTarget("xid", "635", false);
    ControlRequest r = new ControlRequest("r1", ControlRequest.RESTORE, null, false, "t", target);
    assertThat(home.requests().submit("demo", r)).isTrue();
    assertThat(home.requests().submit("demo", new ControlRequest("s1", ControlRequest.SWITCHOVER, null, false, "t")))
        .as("a switchover while a restore request is pending").isFalse();
    assertThat(home.requests().takeControlRequest("demo")).contains(r);

    var intent = new io.pgherd.model.InPlaceRestore("r1", target, io.pgherd.model.InPlaceRestore.STOPPING,
        new io.pgherd.model.Topology(java.util.List.of(4, 5), 6, 4), "t", "0/5000028");
    home.writeInPlaceRestore("demo", intent);
    assertThat(new Home(dir).readInPlaceRestore("demo")).contains(intent);
    home.writeInPlaceRestore("demo", null);
    assertThat(home.readInPlaceRestore("demo")).isEmpty();
  }

  @Test
  void aWithdrawnRequestIsNeverTaken() throws Exception {
    Home home = new Home(dir);
    assertThat(home.requests().submit("demo", new ControlRequest("x1", ControlRequest.SWITCHOVER, null, false, "t"))).isTrue();
    assertThat(home.requests().withdraw("demo")).isTrue();
    assertThat(home.requests().takeControlRequest("demo")).isEmpty();
    try (var files = Files.list(dir.resolve("requests"))) {
      assertThat(files).as("no temporary file left").isEmpty();
    }
  }

  @Test
  void anUnreadableRequestIsRemovedAndReported() throws Exception {
    Home home = new Home(dir);
    Files.createDirectories(home.controlRequest("demo").getParent());
    Files.writeString(home.controlRequest("demo"), "{not json");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> home.requests().takeControlRequest("demo"))
        .hasMessageContaining("unreadable request");
    assertThat(home.controlRequest("demo")).doesNotExist();
  }
}
