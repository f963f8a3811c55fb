package io.pgherd.objectstore;

import io.pgherd.api.BackupConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Opens the store a cluster's backup settings name, resolving credentials from where they are named. */
public final class ObjectStores {
  private ObjectStores() {}

  /**
   * @param home the operator's home: the default filesystem store is {@code <home>/backups}
   * @param env the operator's environment (System::getenv), where the named variables are looked up
   */
  public static ObjectStore open(BackupConfig.Store store, Path home, Function<String, String> env)
      throws ObjectStoreException {
    if (store instanceof BackupConfig.Filesystem fs) {
      return new FilesystemStore(fs.path() == null ? home.resolve("backups") : Path.of(fs.path()));
    }
    BackupConfig.S3 s3 = (BackupConfig.S3) store;
    String id = null;
    String secret = null;
    String where = "s3://" + s3.bucket() + "/" + s3.prefix();
    if (s3.accessKeyIdEnv() != null) {
      id = env.apply(s3.accessKeyIdEnv());
      secret = env.apply(s3.secretAccessKeyEnv());
      if (id == null || id.isEmpty()) {
        throw new ObjectStoreException(where + ": the environment variable " + s3.accessKeyIdEnv()
            + " (spec.backup.objectStore.s3.credentials.accessKeyIdEnv) is not set for the operator");
      }
      if (secret == null || secret.isEmpty()) {
        throw new ObjectStoreException(where + ": the environment variable " + s3.secretAccessKeyEnv()
            + " (spec.backup.objectStore.s3.credentials.secretAccessKeyEnv) is not set for the operator");
      }
    } else if (s3.credentialsFile() != null) {
      Map<String, String> profile = readCredentialsFile(Path.of(s3.credentialsFile()), where);
      id = profile.get("aws_access_key_id");
      secret = profile.get("aws_secret_access_key");
      if (id == null || secret == null) {
        throw new ObjectStoreException(where + ": the credentials file " + s3.credentialsFile()
            + " has no aws_access_key_id and aws_secret_access_key in its [default] profile");
      }
    }
    return new S3Store(new S3Store.Settings(s3.bucket(), s3.prefix(), s3.endpoint(), s3.region(), s3.pathStyle(),
        id, secret));
  }

  /**
   * The [default] profile of an AWS shared-credentials file (a file with no section header counts
   * as the default profile). Values are never echoed in messages.
   */
  static Map<String, String> readCredentialsFile(Path file, String where) throws ObjectStoreException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new ObjectStoreException(where + ": cannot read the credentials file " + file + ": "
          + e.getClass().getSimpleName());
    }
    Map<String, String> out = new HashMap<>();
    String section = "default";
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[") && line.endsWith("]")) {
        section = line.substring(1, line.length() - 1).strip();
        continue;
      }
      int eq = line.indexOf('=');
      if (eq > 0 && section.equals("default")) {
        out.put(line.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT), line.substring(eq + 1).strip());
      }
    }
    return out;
  }
}
