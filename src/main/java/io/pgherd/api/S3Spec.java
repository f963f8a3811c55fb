package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/**
 * An S3-compatible object store ({@code spec.backup.objectStore.s3}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class S3Spec {

  @JsonPropertyDescription("Bucket name.")
  private String bucket;

  @JsonPropertyDescription("http(s) URL of the S3 endpoint; absent means AWS.")
  private String endpoint;

  @JsonPropertyDescription("Region, e.g. us-east-1.")
  private String region;

  @JsonPropertyDescription("Key prefix inside the bucket.")
  private String prefix;

  @JsonPropertyDescription("Use path-style addressing (needed by most self-hosted servers).")
  private Boolean pathStyle;

  @JsonPropertyDescription("Where the credentials come from. Secrets are never written in the spec.")
  private S3CredentialsSpec credentials;

  public String getBucket() {
    return bucket;
  }

  public void setBucket(String bucket) {
    this.bucket = bucket;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getRegion() {
    return region;
  }

  public void setRegion(String region) {
    this.region = region;
  }

  public String getPrefix() {
    return prefix;
  }

  public void setPrefix(String prefix) {
    this.prefix = prefix;
  }

  public Boolean getPathStyle() {
    return pathStyle;
  }

  public void setPathStyle(Boolean pathStyle) {
    this.pathStyle = pathStyle;
  }

  public S3CredentialsSpec getCredentials() {
    return credentials;
  }

  public void setCredentials(S3CredentialsSpec credentials) {
    this.credentials = credentials;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof S3Spec)) {
      return false;
    }
    S3Spec other = (S3Spec) o;
    return Objects.equals(bucket, other.bucket)
        && Objects.equals(endpoint, other.endpoint)
        && Objects.equals(region, other.region)
        && Objects.equals(prefix, other.prefix)
        && Objects.equals(pathStyle, other.pathStyle)
        && Objects.equals(credentials, other.credentials);
  }

  @Override
  public int hashCode() {
    return Objects.hash(bucket, endpoint, region, prefix, pathStyle, credentials);
  }

  @Override
  public String toString() {
    return "S3Spec{"
        + "bucket=" + bucket
        + ", endpoint=" + endpoint
        + ", region=" + region
        + ", prefix=" + prefix
        + ", pathStyle=" + pathStyle
        + ", credentials=" + credentials
        + "}";
  }
}
