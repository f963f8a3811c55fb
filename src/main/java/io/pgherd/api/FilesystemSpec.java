package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * A backup directory on the operator's host ({@code spec.backup.objectStore.filesystem}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FilesystemSpec {

  @JsonPropertyDescription("Absolute path of the backup directory.")
  private String path;

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof FilesystemSpec)) {
      return false;
    }
    FilesystemSpec other = (FilesystemSpec) o;
    return Objects.equals(path, other.path);
  }

  @Override
  public int hashCode() {
    return Objects.hash(path);
  }

  @Override
  public String toString() {
    return "FilesystemSpec{"
        + "path=" + path
        + "}";
  }
}
