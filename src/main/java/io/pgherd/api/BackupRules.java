package io.pgherd.api;

import static io.pgherd.api.SpecErrors.quote;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules of {@code spec.backup}: a Quartz cron schedule that fires, the compression, the
 * retention, and an object store that is either S3 (a valid bucket, an http(s) endpoint, credentials
 * named by environment variables or a file) or an absolute filesystem path.
 */
final class BackupRules extends SectionRules {
  private static final Pattern ENV_NAME = Pattern.compile("[A-Z_][A-Z0-9_]*");
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");

  BackupRules(Collector c) {
    super(c);
  }

  void backup(BackupSpec backup) {
    if (backup == null) {
      return;
    }
    if (backup.getSchedule() != null) {
      Optional<String> bad = QuartzCron.check(backup.getSchedule());
      if (bad.isPresent()) {
        c.error("spec.backup.schedule", "not a Quartz cron expression: " + bad.get());
      } else {
        // Quartz itself has the last word, and a schedule that never fires is refused too
        try {
          org.quartz.CronExpression cron = new org.quartz.CronExpression(backup.getSchedule());
          cron.setTimeZone(java.util.TimeZone.getTimeZone("UTC"));
          if (cron.getNextValidTimeAfter(new java.util.Date()) == null) {
            c.error("spec.backup.schedule", "never fires after now: " + quote(backup.getSchedule()));
          }
        } catch (java.text.ParseException e) {
          c.error("spec.backup.schedule", "not a Quartz cron expression: " + e.getMessage());
        }
      }
    }
    if (backup.getCompression() != null && !List.of("zstd", "gzip", "none").contains(backup.getCompression())) {
      c.error("spec.backup.compression", "must be zstd, gzip or none, got " + quote(backup.getCompression()));
    }
    RetentionSpec retention = backup.getRetention();
    if (retention != null && retention.getFullBackups() != null) {
      int n = retention.getFullBackups();
      if (n < 1 || n > 1000) {
        c.error("spec.backup.retention.fullBackups", "must be between 1 and 1000, got " + n);
      }
    }
    ObjectStoreSpec store = backup.getObjectStore();
    if (store == null) {
      return;
    }
    if (store.getS3() != null && store.getFilesystem() != null) {
      c.error("spec.backup.objectStore", "at most one of s3 and filesystem may be set");
    }
    if (store.getS3() != null) {
      s3(store.getS3());
    }
    FilesystemSpec fs = store.getFilesystem();
    if (fs != null) {
      String path = fs.getPath();
      if (path == null || path.isEmpty()) {
        c.error("spec.backup.objectStore.filesystem.path", "required");
      } else if (!path.startsWith("/")) {
        c.error("spec.backup.objectStore.filesystem.path", "must be an absolute path, got " + quote(path));
      }
    }
  }

  void s3(S3Spec s3) {
    String base = "spec.backup.objectStore.s3";
    bucketProblem(s3.getBucket()).ifPresent(why -> c.error(base + ".bucket", why));
    if (s3.getBucket() != null && !s3.getBucket().isEmpty() && s3.getBucket().length() < 3
        && bucketProblem(s3.getBucket()).isEmpty()) {
      c.warning(base + ".bucket", "shorter than 3 characters: AWS S3 and MinIO refuse such bucket names");
    }
    String endpoint = s3.getEndpoint();
    if (endpoint != null) {
      endpointProblem(endpoint).ifPresent(why -> c.error(base + ".endpoint", why));
    }
    if (s3.getRegion() != null && s3.getRegion().isBlank()) {
      c.error(base + ".region", "must not be empty");
    }
    S3CredentialsSpec cred = s3.getCredentials();
    if (cred == null) {
      return;
    }
    String cbase = base + ".credentials";
    envName(cbase + ".accessKeyIdEnv", cred.getAccessKeyIdEnv());
    envName(cbase + ".secretAccessKeyEnv", cred.getSecretAccessKeyEnv());
    boolean anyEnv = cred.getAccessKeyIdEnv() != null || cred.getSecretAccessKeyEnv() != null;
    if (anyEnv && cred.getAccessKeyIdEnv() == null) {
      c.error(cbase + ".accessKeyIdEnv", "required together with secretAccessKeyEnv");
    }
    if (anyEnv && cred.getSecretAccessKeyEnv() == null) {
      c.error(cbase + ".secretAccessKeyEnv", "required together with accessKeyIdEnv");
    }
    if (cred.getFile() != null) {
      if (cred.getFile().isBlank()) {
        c.error(cbase + ".file", "must not be empty");
      } else if (anyEnv) {
        c.error(cbase + ".file", "use either accessKeyIdEnv/secretAccessKeyEnv or file, not both");
      }
    }
  }

  void envName(String path, String name) {
    if (name != null && !ENV_NAME.matcher(name).matches()) {
      c.error(path, "must be the name of an environment variable ([A-Z_][A-Z0-9_]*), got "
          + quote(name) + "; never the secret itself");
    }
  }

  /** S3 bucket naming rules, or empty if the name follows them. */
  static Optional<String> bucketProblem(String bucket) {
    if (bucket == null || bucket.isEmpty()) {
      return Optional.of("required");
    }
    String rules = " (S3 bucket names are up to 63 lowercase letters, digits, '.' and '-',"
        + " starting and ending with a letter or digit), got " + quote(bucket);
    if (!BUCKET.matcher(bucket).matches()) {
      return Optional.of("not a valid bucket name" + rules);
    }
    if (bucket.contains("..") || bucket.contains(".-") || bucket.contains("-.")) {
      return Optional.of("not a valid bucket name: no '..', '.-' or '-.'" + rules);
    }
    if (isIpv4(bucket)) {
      return Optional.of("not a valid bucket name: must not look like an IP address, got " + quote(bucket));
    }
    if (bucket.startsWith("xn--") || bucket.startsWith("sthree-") || bucket.endsWith("-s3alias")
        || bucket.endsWith("--ol-s3")) {
      return Optional.of("not a valid bucket name: reserved prefix or suffix, got " + quote(bucket));
    }
    return Optional.empty();
  }

  static Optional<String> endpointProblem(String endpoint) {
    String usage = "must be an http(s) URL such as http://127.0.0.1:9000, got " + quote(endpoint);
    URI uri;
    try {
      uri = new URI(endpoint);
    } catch (URISyntaxException e) {
      return Optional.of(usage);
    }
    if (uri.getScheme() == null || uri.getHost() == null
        || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))) {
      return Optional.of(usage);
    }
    if (uri.getRawUserInfo() != null) {
      return Optional.of("must not contain credentials; use credentials.accessKeyIdEnv/secretAccessKeyEnv or file");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return Optional.of("must not have a query or fragment, got " + quote(endpoint));
    }
    return Optional.empty();
  }
}
