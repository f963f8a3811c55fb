package io.pgherd.objectstore;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * An S3-compatible store through the AWS SDK for Java v2. Keys are stored under the configured
 * prefix. Uploads are streamed: a first part is read; if the data ends within it, one PutObject,
 * else a multipart upload of {@link #PART_SIZE} parts (aborted if anything fails, so no half
 * object is ever visible). For endpoints other than AWS's, checksums are computed and validated
 * only when an operation requires it: many S3-compatible servers (s3proxy among them) reject the
 * SDK's default flexible checksums ("x-amz-content-sha256 does not match").
 */
public final class S3Store implements ObjectStore {
  /** Multipart part size (S3's minimum is 5 MiB for all parts but the last). */
  public static final int PART_SIZE = 8 * 1024 * 1024;

  /** Where the store is and how to sign in; the secret is never printed. */
  public record Settings(String bucket, String prefix, URI endpoint, String region, boolean pathStyle,
      String accessKeyId, String secretAccessKey) {
    @Override
    public String toString() {
      return "Settings[bucket=" + bucket + ", prefix=" + prefix + ", endpoint=" + endpoint + ", region=" + region
          + ", pathStyle=" + pathStyle + ", accessKeyId=" + (accessKeyId == null ? null : "(set)")
          + ", secretAccessKey=" + (secretAccessKey == null ? null : "(set)") + "]";
    }
  }

  private final Settings settings;
  private final S3Client client;
  private final String prefix;

  public S3Store(Settings settings) {
    this.settings = settings;
    String p = settings.prefix() == null ? "" : settings.prefix().replaceAll("^/+|/+$", "");
    this.prefix = p.isEmpty() ? "" : p + "/";
    var builder = S3Client.builder()
        .region(Region.of(settings.region() == null ? "us-east-1" : settings.region()))
        .forcePathStyle(settings.pathStyle())
        .httpClientBuilder(ApacheHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(5))
            .socketTimeout(Duration.ofSeconds(60)))
        .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofMinutes(5)));
    if (settings.accessKeyId() != null) {
      builder.credentialsProvider(StaticCredentialsProvider.create(
          AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey())));
    }
    if (settings.endpoint() != null) {
      builder.endpointOverride(settings.endpoint())
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    }
    this.client = builder.build();
  }

  private String fullKey(String key) {
    return prefix + ObjectStore.checkKey(key);
  }

  @Override
  public long put(String key, InputStream data) throws ObjectStoreException {
    String k = fullKey(key);
    try {
      byte[] first = data.readNBytes(PART_SIZE);
      if (first.length < PART_SIZE) {
        client.putObject(PutObjectRequest.builder().bucket(settings.bucket()).key(k).build(),
            RequestBody.fromBytes(first));
        return first.length;
      }
      String uploadId = client.createMultipartUpload(CreateMultipartUploadRequest.builder()
          .bucket(settings.bucket()).key(k).build()).uploadId();
      try {
        List<CompletedPart> parts = new ArrayList<>();
        long total = 0;
        byte[] part = first;
        while (part.length > 0) {
          int number = parts.size() + 1;
          String etag = client.uploadPart(UploadPartRequest.builder().bucket(settings.bucket()).key(k)
              .uploadId(uploadId).partNumber(number).contentLength((long) part.length).build(),
              RequestBody.fromBytes(part)).eTag();
          parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
          total += part.length;
          part = data.readNBytes(PART_SIZE);
        }
        client.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(settings.bucket()).key(k)
            .uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()).build());
        return total;
      } catch (IOException | RuntimeException e) {
        try {
          client.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(settings.bucket()).key(k)
              .uploadId(uploadId).build());
        } catch (RuntimeException abort) {
          e.addSuppressed(abort);
        }
        throw e;
      }
    } catch (IOException e) {
      throw new ObjectStoreException(describe() + ": storing " + key + " failed while reading its data: " + e, e);
    } catch (SdkException e) {
      throw failure("storing " + key, e);
    }
  }

  @Override
  public Optional<InputStream> get(String key) throws ObjectStoreException {
    try {
      ResponseInputStream<GetObjectResponse> in = client.getObject(GetObjectRequest.builder()
          .bucket(settings.bucket()).key(fullKey(key)).build());
      return Optional.of(in);
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw failure("reading " + key, e);
    }
  }

  @Override
  public List<StoredObject> list(String keyPrefix) throws ObjectStoreException {
    List<StoredObject> out = new ArrayList<>();
    try {
      var pages = client.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(settings.bucket())
          .prefix(prefix + keyPrefix).build());
      for (var page : pages) {
        for (var o : page.contents()) {
          out.add(new StoredObject(o.key().substring(prefix.length()), o.size() == null ? 0 : o.size(),
              o.lastModified()));
        }
      }
    } catch (SdkException e) {
      throw failure("listing " + (keyPrefix.isEmpty() ? "the store" : keyPrefix), e);
    }
    out.sort(Comparator.comparing(StoredObject::key));
    return out;
  }

  @Override
  public void delete(String key) throws ObjectStoreException {
    try {
      client.deleteObject(DeleteObjectRequest.builder().bucket(settings.bucket()).key(fullKey(key)).build());
    } catch (NoSuchKeyException e) {
      // absent is success
    } catch (SdkException e) {
      throw failure("deleting " + key, e);
    }
  }

  /** A message a person can act on: which store, what was done, and the likely cause. */
  private ObjectStoreException failure(String what, SdkException e) {
    String why;
    if (e instanceof NoSuchBucketException) {
      why = "bucket " + settings.bucket() + " does not exist";
    } else if (e instanceof S3Exception s3) {
      int status = s3.statusCode();
      String code = s3.awsErrorDetails() == null ? null : s3.awsErrorDetails().errorCode();
      if (status == 403 || "InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)
          || "AccessDenied".equals(code)) {
        why = "access denied (" + (code == null ? "HTTP 403" : code) + "): check the credentials and the bucket policy";
      } else if ("NoSuchBucket".equals(code)) {
        why = "bucket " + settings.bucket() + " does not exist";
      } else {
        why = "HTTP " + status + (code == null ? "" : " " + code) + ": " + firstLine(s3.getMessage());
      }
    } else if (e instanceof SdkClientException) {
      // a server that refuses the credentials may close the connection while a large body is
      // still being sent (a broken pipe, not its 403): ask it something small to tell which
      try {
        client.headBucket(b -> b.bucket(settings.bucket()));
        why = "the connection broke: " + firstLine(rootCause(e).toString());
      } catch (S3Exception answered) {
        return failure(what, answered);
      } catch (SdkException unreachable) {
        why = "cannot reach " + (settings.endpoint() == null ? "AWS S3" : settings.endpoint()) + ": "
            + firstLine(rootCause(e).toString());
      }
    } else {
      why = firstLine(e.getMessage());
    }
    return new ObjectStoreException(describe() + ": " + what + " failed: " + why, e);
  }

  private static Throwable rootCause(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }

  @Override
  public String describe() {
    return "s3://" + settings.bucket() + "/" + prefix + (settings.endpoint() == null ? "" : " at " + settings.endpoint());
  }

  @Override
  public void close() {
    client.close();
  }
}
