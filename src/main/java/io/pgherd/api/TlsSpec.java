package io.pgherd.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;
import java.util.Objects;

/**
 * TLS between clients and the members ({@code spec.tls}). pgherd generates a CA per cluster and a
 * server certificate per member, renews them before they expire, and requires TLS for every TCP
 * connection to the members (clients, replication, its own) once all of them serve it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TlsSpec {

  @JsonPropertyDescription("Require TLS for every TCP connection to the members. Default false.")
  private Boolean enabled;

  @JsonPropertyDescription("Extra DNS names or IPv4 addresses the server certificates carry, besides the"
      + " member and load balancer container names, localhost, 127.0.0.1 and the bind address (e.g. the"
      + " host's name when the load balancer listens on 0.0.0.0).")
  private List<String> altNames;

  @JsonPropertyDescription("How long a server certificate is valid (1m..87600h). Default 2160h (90 days).")
  private String certificateValidity;

  @JsonPropertyDescription("Renew a server certificate when it expires within this (shorter than"
      + " certificateValidity). Default 168h (7 days).")
  private String renewBefore;

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public List<String> getAltNames() {
    return altNames;
  }

  public void setAltNames(List<String> altNames) {
    this.altNames = altNames;
  }

  public String getCertificateValidity() {
    return certificateValidity;
  }

  public void setCertificateValidity(String certificateValidity) {
    this.certificateValidity = certificateValidity;
  }

  public String getRenewBefore() {
    return renewBefore;
  }

  public void setRenewBefore(String renewBefore) {
    this.renewBefore = renewBefore;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof TlsSpec)) {
      return false;
    }
    TlsSpec other = (TlsSpec) o;
    return Objects.equals(enabled, other.enabled) && Objects.equals(altNames, other.altNames)
        && Objects.equals(certificateValidity, other.certificateValidity)
        && Objects.equals(renewBefore, other.renewBefore);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, altNames, certificateValidity, renewBefore);
  }

  @Override
  public String toString() {
    return "TlsSpec{enabled=" + enabled + ", altNames=" + altNames + ", certificateValidity="
        + certificateValidity + ", renewBefore=" + renewBefore + "}";
  }
}
