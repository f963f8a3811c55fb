package io.pgherd.api;

import java.net.URI;
import java.util.Optional;

/**
 * The effective backup settings of a cluster ({@code spec.backup}, validated), defaults applied:
 * no schedule means base backups only on demand ({@code pgherd backup}); retention keeps
 * {@link ClusterConfig#DEFAULT_FULL_BACKUPS} full backups; the store is the filesystem store in
 * {@code <home>/backups} unless the spec names S3 or another directory.
 *
 * @param schedule Quartz cron expression for base backups, or null
 * @param fullBackups how many complete base backups retention keeps
 * @param store where backups and WAL go
 * @param compression how base backups are compressed (default zstd)
 */
public record BackupConfig(String schedule, int fullBackups, Store store, Compression compression) {

  /** Where backups go. */
  public sealed interface Store permits Filesystem, S3 {}

  /** A directory on the operator's host; {@code path} null means {@code <home>/backups}. */
  public record Filesystem(String path) implements Store {}

  /**
   * An S3-compatible store. Credentials are named, never given: either two environment
   * variables of the operator's process, or a credentials file (AWS shared-credentials format,
   * profile "default"); neither set means the AWS SDK's default chain.
   */
  public record S3(String bucket, URI endpoint, String region, String prefix, boolean pathStyle,
      String accessKeyIdEnv, String secretAccessKeyEnv, String credentialsFile) implements Store {}

  /** The cluster's backup settings, or empty when it has no {@code spec.backup} (nothing is archived). */
  public static Optional<BackupConfig> from(PostgresCluster cluster) {
    BackupSpec b = cluster.getSpec() == null ? null : cluster.getSpec().getBackup();
    if (b == null) {
      return Optional.empty();
    }
    int full = b.getRetention() == null || b.getRetention().getFullBackups() == null
        ? ClusterConfig.DEFAULT_FULL_BACKUPS : b.getRetention().getFullBackups();
    ObjectStoreSpec os = b.getObjectStore();
    Store store;
    if (os != null && os.getS3() != null) {
      S3Spec s = os.getS3();
      S3CredentialsSpec c = s.getCredentials();
      store = new S3(s.getBucket(), s.getEndpoint() == null ? null : URI.create(s.getEndpoint()),
          s.getRegion() == null ? "us-east-1" : s.getRegion(), s.getPrefix() == null ? "" : s.getPrefix(),
          Boolean.TRUE.equals(s.getPathStyle()),
          c == null ? null : c.getAccessKeyIdEnv(), c == null ? null : c.getSecretAccessKeyEnv(),
          c == null ? null : c.getFile());
    } else {
      store = new Filesystem(os == null || os.getFilesystem() == null ? null : os.getFilesystem().getPath());
    }
    return Optional.of(new BackupConfig(b.getSchedule(), full, store,
        b.getCompression() == null ? Compression.ZSTD : Compression.parse(b.getCompression())));
  }
}
