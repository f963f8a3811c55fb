package io.pgherd.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.fake.ActionLog;
import io.pgherd.model.RecoveryTarget;
import io.pgherd.store.ControlRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A user's request that cannot be carried out: answered and refused, and nothing in the cluster changes. */
class FakeClusterRefusalTest {
  /** Passes after the answer: a refused request must not be acted on later either. */
  private static final int PASSES_AFTER = 3;

  /** A healthy 3-member cluster whose last pass did nothing but {@link FakeClusterScene#steady} calls. */
  private static FakeClusterScene settled(Path dir) {
    FakeClusterScene scene = new FakeClusterScene(dir, 3);
    scene.settle();
    return scene;
  }

  /** The answer to a refused request, and what the log says from its submission on. */
  private record Refusal(String message, ActionLog log) {}

  /**
   * Submits the request, runs passes until it is answered and a few more (the clock moving), and
   * checks that it was refused and that the passes changed nothing: the log's new entries (no
   * action done), the fake's history (steady calls only), the same primary, healthy.
   */
  private static Refusal refusedWithoutChange(FakeClusterScene scene, ControlRequest request) {
    int mark = scene.engine.history().size();
    int logMark = scene.log().size();
    assertThat(scene.submit(request)).isTrue();

    AtomicReference<ControlRequest.Result> answer = new AtomicReference<>();
    scene.passUntil("the " + request.kind() + " request answered", () -> {
      scene.takeAnswer(request.id()).ifPresent(answer::set);
      return answer.get() != null;
    }, 5);
    for (int i = 0; i < PASSES_AFTER; i++) {
      scene.clock.advance(Duration.ofSeconds(1));
      scene.pass();
    }

    assertThat(answer.get().ok()).as(answer.get().message()).isFalse();
    ActionLog after = scene.log().since(logMark);
    assertThat(after.done()).as("nothing done:\n" + after).isEmpty();
    assertThat(scene.engine.historySince(mark)).as("no mutating call but the steady ones").allMatch(
        FakeClusterScene::steady);
    assertThat(scene.state().primary()).isEqualTo(1);
    assertThat(scene.state().failover()).isNull();
    assertThat(scene.healthy()).isTrue();
    assertThat(scene.home.readInPlaceRestore(FakeClusterScene.CLUSTER)).isEmpty();
    assertThat(scene.postgres.streamingFrom("demo-2")).contains("pgherd-demo-1");
    assertThat(scene.postgres.streamingFrom("demo-3")).contains("pgherd-demo-1");
    return new Refusal(answer.get().message(), after);
  }

  private static ControlRequest request(String id, String kind, String to, RecoveryTarget target) {
    return new ControlRequest(id, kind, to, false, Instant.now().toString(), target);
  }

  @Test
  void aRestoreRequestOnAClusterWithoutSpecBackupIsRefusedLoggedAndChangesNothing(@TempDir Path dir) {
    FakeClusterScene scene = settled(dir);
    RecoveryTarget latest = RecoveryTarget.latest();

    Refusal refusal = refusedWithoutChange(scene, request("0ddba11001", ControlRequest.RESTORE, null, latest));

    assertThat(refusal.message()).isEqualTo("demo has no spec.backup section: there are no backups to restore it from");
    assertThat(refusal.log().entries()).singleElement().satisfies(e -> {
      assertThat(e.action()).isEqualTo("restore-refused");
      assertThat(e.warning()).isTrue();
      assertThat(e.reason()).isEqualTo("restore to " + latest.describe() + ": " + refusal.message());
    });
    assertThat(scene.home.root().resolve("restore").resolve("demo")).doesNotExist();
  }

  @Test
  void aBackupRequestOnAClusterWithoutSpecBackupIsAnsweredWithARefusalAndChangesNothing(@TempDir Path dir) {
    FakeClusterScene scene = settled(dir);

    Refusal refusal = refusedWithoutChange(scene, request("0ddba11002", ControlRequest.BACKUP, null, null));

    assertThat(refusal.message()).isEqualTo(
        "demo has no spec.backup section: without a WAL archive a base backup cannot be restored; add one");

    assertThat(scene.home.root().resolve("backup").resolve("demo")).doesNotExist();
    assertThat(Files.exists(scene.home.backupRequest(FakeClusterScene.CLUSTER))).as("the request taken").isFalse();
  }

  @Test
  void aSwitchoverToAMemberThatDoesNotExistIsRefusedLoggedAndChangesNothing(@TempDir Path dir) {
    FakeClusterScene scene = settled(dir);
    String why = "demo-7 is not a replica of this cluster (replicas: demo-2, demo-3)";

    Refusal refusal = refusedWithoutChange(scene, request("0ddba11003", ControlRequest.SWITCHOVER, "demo-7", null));

    assertThat(refusal.message()).isEqualTo(why);
    assertThat(refusal.log().entries()).singleElement().satisfies(e -> {
      assertThat(e.action()).isEqualTo("switchover-refused");
      assertThat(e.warning()).isTrue();
      assertThat(e.reason()).isEqualTo(why);
    });
  }

  @Test
  void aSwitchoverToThePrimaryItselfIsRefusedLoggedAndChangesNothing(@TempDir Path dir) {
    FakeClusterScene scene = settled(dir);

    Refusal refusal = refusedWithoutChange(scene, request("0ddba11004", ControlRequest.SWITCHOVER, "demo-1", null));

    assertThat(refusal.message()).isEqualTo("demo-1 is already the primary");
    assertThat(refusal.log().entries()).singleElement().satisfies(e -> {
      assertThat(e.action()).isEqualTo("switchover-refused");
      assertThat(e.warning()).isTrue();
      assertThat(e.reason()).isEqualTo("demo-1 is already the primary");
    });
  }
}
