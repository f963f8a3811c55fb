package io.pgherd.objectstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgherd.api.BackupConfig;
import io.pgherd.api.SpecValidator;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectStoresTest {
  @TempDir
  Path dir;

  static BackupConfig config(String backupYaml) {
    var v = SpecValidator.parse("""
        apiVersion: pgherd.io/v1
        kind: PostgresCluster
        metadata:
          name: demo
        spec:
          instances: 1
        """ + backupYaml);
    assertThat(v.ok()).as(v.errors().toString()).isTrue();
    return BackupConfig.from(v.cluster()).orElseThrow();
  }

  @Test
  void withoutAStoreBackupsGoToTheHome() throws Exception {
    BackupConfig c = config("  backup:\n    schedule: \"0 0 2 * * ?\"\n");
    assertThat(c.fullBackups()).isEqualTo(7);
    assertThat(c.schedule()).isEqualTo("0 0 2 * * ?");
    try (ObjectStore store = ObjectStores.open(c.store(), dir, k -> null)) {
      assertThat(((FilesystemStore) store).root()).isEqualTo(dir.resolve("backups"));
    }
  }

  @Test
  void s3SettingsAndCredentialsFromTheNamedEnvironmentVariables() throws Exception {
    BackupConfig c = config("""
          backup:
            retention: { fullBackups: 3 }
            objectStore:
              s3: { bucket: pgbackups, endpoint: "http://127.0.0.1:9000", pathStyle: true, prefix: team,
                    credentials: { accessKeyIdEnv: MY_KEY, secretAccessKeyEnv: MY_SECRET } }
        """);
    assertThat(c.fullBackups()).isEqualTo(3);
    BackupConfig.S3 s3 = (BackupConfig.S3) c.store();
    assertThat(s3.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9000"));
    assertThat(s3.region()).isEqualTo("us-east-1");
    assertThat(s3.pathStyle()).isTrue();

    Map<String, String> env = Map.of("MY_KEY", "AKIA-TEST");
    assertThatThrownBy(() -> ObjectStores.open(s3, dir, env::get))
        .isInstanceOf(ObjectStoreException.class)
        .hasMessageContaining("environment variable MY_SECRET")
        .hasMessageContaining("secretAccessKeyEnv");
    try (ObjectStore store = ObjectStores.open(s3, dir, Map.of("MY_KEY", "k", "MY_SECRET", "s")::get)) {
      assertThat(store.describe()).isEqualTo("s3://pgbackups/team/ at http://127.0.0.1:9000");
    }
  }

  @Test
  void aCredentialsFileInTheAwsFormatItsDefaultProfile() throws Exception {
    Path file = dir.resolve("credentials");
    Files.writeString(file, """
        [other]
        aws_access_key_id = wrong
        [default]
        aws_access_key_id = AKIA-FILE
        aws_secret_access_key = s3cr3t-from-file
        """);
    assertThat(ObjectStores.readCredentialsFile(file, "x")).containsEntry("aws_access_key_id", "AKIA-FILE")
        .containsEntry("aws_secret_access_key", "s3cr3t-from-file");
    Files.writeString(file, "[default]\naws_access_key_id = only-the-id\n");
    BackupConfig.S3 s3 = new BackupConfig.S3("pgbackups", null, "us-east-1", "", false, null, null, file.toString());
    assertThatThrownBy(() -> ObjectStores.open(s3, dir, k -> null))
        .hasMessageContaining("has no aws_access_key_id and aws_secret_access_key")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("only-the-id"));
    BackupConfig.S3 missing = new BackupConfig.S3("pgbackups", null, "us-east-1", "", false, null, null,
        dir.resolve("nope").toString());
    assertThatThrownBy(() -> ObjectStores.open(missing, dir, k -> null))
        .hasMessageContaining("cannot read the credentials file " + dir.resolve("nope"));
  }
}
