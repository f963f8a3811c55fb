package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** TLS of the members ({@code spec.tls}), in {@code status}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsStatus {

  @JsonPropertyDescription("enforced (connections without TLS refused), serving (switching on or off) or off.")
  private String state;

  @JsonPropertyDescription("The cluster's CA certificate: what clients verify the members against (sslrootcert).")
  private String caFile;

  @JsonPropertyDescription("When the first of the members' server certificates expires (renewed before that).")
  private String certificatesExpire;

  public String getState() {
    return state;
  }

  public void setState(String state) {
    this.state = state;
  }

  public String getCaFile() {
    return caFile;
  }

  public void setCaFile(String caFile) {
    this.caFile = caFile;
  }

  public String getCertificatesExpire() {
    return certificatesExpire;
  }

  public void setCertificatesExpire(String certificatesExpire) {
    this.certificatesExpire = certificatesExpire;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TlsStatus t && Objects.equals(state, t.state) && Objects.equals(caFile, t.caFile)
        && Objects.equals(certificatesExpire, t.certificatesExpire);
  }

  @Override
  public int hashCode() {
    return Objects.hash(state, caFile, certificatesExpire);
  }
}
