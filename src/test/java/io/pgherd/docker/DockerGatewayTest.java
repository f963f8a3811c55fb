package io.pgherd.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.runtime.ContainerSpec.FileContent;
import java.io.ByteArrayInputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;

class DockerGatewayTest {
  @Test
  void anUnreachableEngineIsAClearErrorNamingItsAddress() throws Exception {
    try (DockerGateway docker = DockerGateway.connect("unix:///tmp/pgherd-no-such-docker.sock")) {
      assertThatThrownBy(docker::ping)
          .isInstanceOf(DockerUnavailableException.class)
          .hasMessageContaining("Docker engine at unix:///tmp/pgherd-no-such-docker.sock is unreachable");
      assertThatThrownBy(() -> docker.containers("io.pgherd.cluster", "x"))
          .isInstanceOf(DockerUnavailableException.class);
    }
  }

  @Test
  void filesAreTarredWithTheirModesSecretsDirectoriesArePrivateAndOtherDirectoriesLeftAsTheImageHasThem()
      throws Exception {
    Map<String, FileContent> files = new LinkedHashMap<>();
    files.put("/etc/pgherd/secrets/superuser-password", FileContent.of("s3cret", 0600));
    files.put("/etc/pgherd/postgresql.conf", FileContent.of("port = 5432\n", 0644));
    files.put("/etc/pgherd/agent/agent.key", FileContent.of("key", 0600, 998));
    files.put("/etc/pgherd/agent/agent.crt", FileContent.of("crt", 0644, 998));
    Map<String, Integer> owners = new LinkedHashMap<>();
    Map<String, Integer> modes = new LinkedHashMap<>();
    Map<String, String> contents = new LinkedHashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(ContainerFiles.tar(files)))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        modes.put(e.getName(), e.getMode() & 07777);
        owners.put(e.getName(), (int) e.getLongUserId());
        if (!e.isDirectory()) {
          contents.put(e.getName(), new String(tar.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    }
    assertThat(modes).doesNotContainKeys("etc/", "etc/pgherd/", "etc/pgherd/agent/")
        .containsEntry("etc/pgherd/secrets/", 0700)
        .containsEntry("etc/pgherd/secrets/superuser-password", 0600)
        .containsEntry("etc/pgherd/postgresql.conf", 0644);
    assertThat(contents).containsEntry("etc/pgherd/secrets/superuser-password", "s3cret");
    assertThat(owners).containsEntry("etc/pgherd/secrets/", 0).containsEntry("etc/pgherd/agent/agent.key", 998);
  }
}
