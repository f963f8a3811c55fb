package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * Backup destination ({@code spec.backup.objectStore}): at most one of s3 and filesystem.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ObjectStoreSpec {

  @JsonPropertyDescription("An S3-compatible object store.")
  private S3Spec s3;

  @JsonPropertyDescription("A directory on the operator's host.")
  private FilesystemSpec filesystem;

  public S3Spec getS3() {
    return s3;
  }

  public void setS3(S3Spec s3) {
    this.s3 = s3;
  }

  public FilesystemSpec getFilesystem() {
    return filesystem;
  }

  public void setFilesystem(FilesystemSpec filesystem) {
    this.filesystem = filesystem;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ObjectStoreSpec)) {
      return false;
    }
    ObjectStoreSpec other = (ObjectStoreSpec) o;
    return Objects.equals(s3, other.s3)
        && Objects.equals(filesystem, other.filesystem);
  }

  @Override
  public int hashCode() {
    return Objects.hash(s3, filesystem);
  }

  @Override
  public String toString() {
    return "ObjectStoreSpec{"
        + "s3=" + s3
        + ", filesystem=" + filesystem
        + "}";
  }
}
