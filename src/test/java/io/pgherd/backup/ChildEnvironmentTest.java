package io.pgherd.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChildEnvironmentTest {
  @Test
  void thePgToolsGetNoCredentialsOfTheOperatorsEnvironment() {
    Map<String, String> env = new HashMap<>(Map.of("PATH", "/usr/bin", "HOME", "/home/op", "LANG", "C.UTF-8",
        "LC_ALL", "C", "AWS_SECRET_ACCESS_KEY", "s3cret", "AWS_ACCESS_KEY_ID", "id", "MY_STORE_SECRET", "s3cret",
        "PGPASSWORD", "pw", "PGHERD_HOME", "/home/op/.pgherd", "JAVA_TOOL_OPTIONS", "-Dx=y"));
    ChildEnvironment.restrict(env);
    assertThat(env).containsOnlyKeys("PATH", "HOME", "LANG", "LC_ALL");
  }
}
