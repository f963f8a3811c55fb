package io.pgherd.objectstore;

import java.net.URI;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3-compatible server (s3proxy) in this JVM, on a free loopback port, with AWS v4
 * authentication and an in-memory blob store. It can be stopped and started again on the same
 * port (a store outage) keeping its objects.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "pgherd-test-access";
  public static final String SECRET_KEY = "pgherd-test-secret-d41d8cd98f";

  private final BlobStoreContext context;
  private final BlobStore blobStore;
  private S3Proxy proxy;
  private int port;

  public S3ProxyServer() throws Exception {
    context = ContextBuilder.newBuilder("transient").credentials("identity", "credential")
        .build(BlobStoreContext.class);
    blobStore = context.getBlobStore();
    start(0);
  }

  private void start(int wantedPort) throws Exception {
    proxy = S3Proxy.builder().blobStore(blobStore)
        .endpoint(URI.create("http://127.0.0.1:" + wantedPort))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .build();
    proxy.start();
    long deadline = System.currentTimeMillis() + 10_000;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    port = proxy.getPort();
  }

  /** Through the S3 API itself, as a user would. */
  public void createBucket(String bucket) {
    try (var client = software.amazon.awssdk.services.s3.S3Client.builder()
        .region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true).endpointOverride(endpoint())
        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .httpClientBuilder(software.amazon.awssdk.http.apache.ApacheHttpClient.builder())
        .build()) {
      client.createBucket(b -> b.bucket(bucket));
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Keys under a prefix, straight from the blob store (fast enough to poll every few ms). */
  public java.util.List<String> keys(String bucket, String prefix) {
    java.util.List<String> out = new java.util.ArrayList<>();
    String marker = null;
    do {
      var options = org.jclouds.blobstore.options.ListContainerOptions.Builder.prefix(prefix).recursive();
      if (marker != null) {
        options = options.afterMarker(marker);
      }
      var page = blobStore.list(bucket, options);
      page.forEach(m -> out.add(m.getName()));
      marker = page.getNextMarker();
    } while (marker != null);
    return out;
  }

  /** The server goes away (connections refused) until {@link #resume()}. */
  public void suspend() throws Exception {
    proxy.stop();
  }

  public void resume() throws Exception {
    start(port);
  }

  public S3Store.Settings settings(String bucket, String prefix) {
    return new S3Store.Settings(bucket, prefix, endpoint(), "us-east-1", true, ACCESS_KEY, SECRET_KEY);
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.stop();
    } finally {
      context.close();
    }
  }
}
