package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import java.util.Objects;

/**
 * Where S3 credentials come from ({@code spec.backup.objectStore.s3.credentials}).
 * Only references: environment variable names or a file path, never the secret values.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class S3CredentialsSpec {

  @JsonPropertyDescription("Name of the environment variable holding the access key id.")
  @Pattern("^[A-Z_][A-Z0-9_]*$")
  private String accessKeyIdEnv;

  @JsonPropertyDescription("Name of the environment variable holding the secret access key.")
  @Pattern("^[A-Z_][A-Z0-9_]*$")
  private String secretAccessKeyEnv;

  @JsonPropertyDescription("Path of a credentials file.")
  private String file;

  public String getAccessKeyIdEnv() {
    return accessKeyIdEnv;
  }

  public void setAccessKeyIdEnv(String accessKeyIdEnv) {
    this.accessKeyIdEnv = accessKeyIdEnv;
  }

  public String getSecretAccessKeyEnv() {
    return secretAccessKeyEnv;
  }

  public void setSecretAccessKeyEnv(String secretAccessKeyEnv) {
    this.secretAccessKeyEnv = secretAccessKeyEnv;
  }

  public String getFile() {
    return file;
  }

  public void setFile(String file) {
    this.file = file;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof S3CredentialsSpec)) {
      return false;
    }
    S3CredentialsSpec other = (S3CredentialsSpec) o;
    return Objects.equals(accessKeyIdEnv, other.accessKeyIdEnv)
        && Objects.equals(secretAccessKeyEnv, other.secretAccessKeyEnv)
        && Objects.equals(file, other.file);
  }

  @Override
  public int hashCode() {
    return Objects.hash(accessKeyIdEnv, secretAccessKeyEnv, file);
  }

  @Override
  public String toString() {
    return "S3CredentialsSpec{"
        + "accessKeyIdEnv=" + accessKeyIdEnv
        + ", secretAccessKeyEnv=" + secretAccessKeyEnv
        + ", file=" + file
        + "}";
  }
}
