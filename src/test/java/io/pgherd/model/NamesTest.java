package io.pgherd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NamesTest {
  @Test
  void dockerObjectsFollowTheContract() {
    assertThat(Names.network("demo")).isEqualTo("pgherd-demo");
    assertThat(Names.member("demo", 2)).isEqualTo("demo-2");
    assertThat(Names.container("demo-2")).isEqualTo("pgherd-demo-2");
    assertThat(Names.volume("demo-2")).isEqualTo("pgherd-demo-2-data");
    assertThat(Names.loadBalancer("demo")).isEqualTo("pgherd-demo-lb");
  }

  @Test
  void slotIsTheMemberNameWithUnderscores() {
    assertThat(Names.slot("demo-2")).isEqualTo("demo_2");
    assertThat(Names.slot("my-db-12")).isEqualTo("my_db_12");
    assertThat(Names.slot("my-db-12")).matches("[a-z0-9_]+");
  }

  @Test
  void ordinalIsParsedFromTheMemberName() {
    assertThat(Names.ordinal("my-db", "my-db-12")).isEqualTo(12);
    assertThatThrownBy(() -> Names.ordinal("demo", "other-1")).hasMessageContaining("not a member");
    assertThatThrownBy(() -> Names.ordinal("demo", "demo-x")).hasMessageContaining("not a member");
  }

  @Test
  void recognisesMemberSlotsOfItsCluster() {
    assertThat(Names.isMemberSlot("demo", "demo_3")).isTrue();
    assertThat(Names.isMemberSlot("demo", "demo_x")).isFalse();
    assertThat(Names.isMemberSlot("demo", "other_3")).isFalse();
  }
}
