package io.pgherd.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.pgherd.runtime.ContainerSpec.FileContent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Files into and out of a container (running or not), as the engine's archive API wants them:
 * tar streams, packed here with their modes and owners and unpacked on the way out.
 */
final class ContainerFiles {
  private final DockerClient client;
  private final EngineCalls calls;

  ContainerFiles(DockerClient client, EngineCalls calls) {
    this.client = client;
    this.calls = calls;
  }

  /** Writes files into a container (running or not), creating parent directories. */
  void copyFiles(String container, Map<String, FileContent> files) {
    byte[] tar = tar(files);
    call(() -> {
      client.copyArchiveToContainerCmd(container).withRemotePath("/")
          .withTarInputStream(new ByteArrayInputStream(tar)).exec();
      return null;
    });
  }

  /** Extracts a tar stream into a directory of a container (running or not); the directory must exist. */
  void copyTar(String container, String remotePath, InputStream tar) {
    call(() -> {
      client.copyArchiveToContainerCmd(container).withRemotePath(remotePath).withTarInputStream(tar).exec();
      return null;
    });
  }

  /** Reads a file from a container; empty when the container or the file does not exist. */
  Optional<byte[]> readFile(String container, String path) {
    try (InputStream in = call(() -> client.copyArchiveFromContainerCmd(container, path).exec());
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry entry = tar.getNextEntry();
      if (entry == null) {
        return Optional.empty();
      }
      return Optional.of(tar.readAllBytes());
    } catch (NotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + " from " + container, e);
    }
  }

  static byte[] tar(Map<String, FileContent> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      // A directory gets an entry of its own only when every file directly in it is private (e.g.
      // secrets): it is made 0700, owned as they are. Any other directory is left as the image has it
      // (owner and mode: pgherd/haproxy's agent, not root, writes in its directories), or created
      // 0755 by the engine when missing.
      java.util.Map<String, java.util.List<FileContent>> direct = new java.util.TreeMap<>();
      for (Map.Entry<String, FileContent> f : files.entrySet()) {
        String p = f.getKey().replaceFirst("^/", "");
        int slash = p.lastIndexOf('/');
        if (slash > 0) {
          direct.computeIfAbsent(p.substring(0, slash + 1), k -> new java.util.ArrayList<>()).add(f.getValue());
        }
      }
      for (Map.Entry<String, java.util.List<FileContent>> d : direct.entrySet()) {
        java.util.List<FileContent> in = d.getValue();
        boolean onlyPrivate = in.stream().allMatch(f -> (f.mode() & 077) == 0);
        boolean oneOwner = in.stream().map(FileContent::owner).distinct().count() == 1;
        if (onlyPrivate) {
          TarArchiveEntry e = new TarArchiveEntry(d.getKey());
          e.setMode(040700);
          if (oneOwner) {
            e.setUserId(in.get(0).owner());
            e.setGroupId(in.get(0).owner());
          }
          tar.putArchiveEntry(e);
          tar.closeArchiveEntry();
        }
      }
      for (Map.Entry<String, FileContent> f : files.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(f.getKey().replaceFirst("^/", ""));
        e.setSize(f.getValue().content().length);
        e.setMode(0100000 | f.getValue().mode());
        e.setUserId(f.getValue().owner());
        e.setGroupId(f.getValue().owner());
        tar.putArchiveEntry(e);
        tar.write(f.getValue().content());
        tar.closeArchiveEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private <T> T call(EngineCalls.Call<T> call) {
    return calls.call(call);
  }
}
