package io.pgherd.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgherd.api.RecloneStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReclonesTest {
  @TempDir Path dir;

  @Test
  void aReclonesReasonOutlivesTheOperatorAndGoesWithItsMemberOrCluster() {
    Home home = new Home(dir);
    AtomicInteger durable = new AtomicInteger();
    home.afterDurableWrite(durable::incrementAndGet);
    RecloneStatus why = new RecloneStatus("2026-12-08T00:32:03Z", "replication slot demo_3 invalidated");
    new Reclones(home, "demo", List.of()::add).record("demo-3", why);
    assertThat(durable).as("stored durably before it is carried out").hasValue(1);

    Reclones again = new Reclones(home, "demo", List.of()::add);
    assertThat(again.last("demo-3")).contains(why);
    assertThat(again.last("demo-2")).isEmpty();
    again.retain(List.of("demo-1", "demo-2")); // demo-3 scaled in
    assertThat(new Reclones(home, "demo", List.of()::add).last("demo-3")).isEmpty();

    new Reclones(home, "demo", List.of()::add).record("demo-2", why);
    home.forget("demo", false);
    assertThat(home.reclonesFile("demo")).doesNotExist();
    assertThat(new Reclones(home, "demo", List.of()::add).last("demo-2")).as("a new cluster of that name").isEmpty();
  }

  @Test
  void aRecordThatCannotBeReadIsSaidAndStartedAgainRatherThanStoppingTheCluster() throws Exception {
    Home home = new Home(dir);
    home.createRoot();
    Files.createDirectories(home.reclonesFile("demo").getParent());
    List<String> said = new ArrayList<>();
    Files.writeString(home.reclonesFile("demo"), "{not json");
    assertThat(new Reclones(home, "demo", said::add).last("demo-2")).isEmpty();
    assertThat(said).singleElement().asString().contains("cannot be read", "started again empty");

    Files.writeString(home.reclonesFile("demo"), "null");
    assertThat(new Reclones(home, "demo", said::add).last("demo-2")).isEmpty();

    Files.writeString(home.reclonesFile("demo"), "{\"demo-2\": {\"at\": \"t\", \"reason\": \"r\", \"byALaterPgherd\": 1}}");
    assertThat(new Reclones(home, "demo", said::add).last("demo-2")).as("a field it does not know")
        .contains(new RecloneStatus("t", "r"));
    assertThat(said).hasSize(1);
  }
}
