package io.duplex.security;

import static java.nio.file.attribute.PosixFilePermission.GROUP_READ;
import static java.nio.file.attribute.PosixFilePermission.GROUP_WRITE;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_READ;
import static java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and writes a private key as a PEM PKCS#8 file ({@code -----BEGIN PRIVATE KEY-----}), the
 * format {@code openssl genpkey} writes. Every failure is a {@link KeyFileException} that names
 * the file and says what to do, and never holds key material.
 */
final class KeyFiles {
  /** Far more than a PEM Ed25519 key (119 bytes); a larger file is not one. */
  static final int MAX_FILE_BYTES = 64 * 1024;

  private static final String BEGIN = "-----BEGIN ";
  private static final String DASHES = "-----";
  private static final String LABEL = "PRIVATE KEY";
  private static final String END_LINE = "-----END " + LABEL + DASHES;
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS =
      EnumSet.of(GROUP_READ, GROUP_WRITE, OTHERS_READ, OTHERS_WRITE);
  /** Private key types the JDK reads, named when a key file holds one of them, not Ed25519. */
  private static final List<String> OTHER_ALGORITHMS = List.of("X25519", "Ed448", "X448", "RSA",
      "EC");
  private static final String MAKE_ONE =
      "make an Ed25519 key with Identity.generate().save(FILE) or"
          + " openssl genpkey -algorithm ed25519 -out FILE, then chmod 600 FILE";
  private static final String DAMAGED = "restore the file from a backup, or move it away and"
      + " make a new key (the node id changes)";

  private KeyFiles() {}

  /** The Ed25519 private key in the PEM file {@code file}. */
  static PrivateKey readPrivateKey(Path file) {
    byte[] der = decodePem(file, read(file));
    try {
      return Identity.keyFactory().generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (InvalidKeySpecException e) {
      String algorithm = otherAlgorithm(der);
      if (algorithm != null) {
        throw new KeyFileException("key file " + file + " holds an " + algorithm
            + " private key, not an Ed25519 one: " + MAKE_ONE, file, e);
      }
      throw new KeyFileException("key file " + file + " does not hold a valid PKCS#8 Ed25519"
          + " private key (its DER is corrupt, or of a key type duplex does not know): "
          + DAMAGED, file, e);
    }
  }

  /** Writes {@code key} to the new file {@code file}: see {@link Identity#save(Path)}. */
  static void writePrivateKey(Path file, PrivateKey key) {
    if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw alreadyExists(file);
    }
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new KeyFileException("cannot create the directory " + dir + " for key file " + file
          + ": " + e + "; pass --key a path in a directory you may write", file, e);
    }
    byte[] pem = encodePem(key.getEncoded());
    try {
      FileAttribute<?>[] ownerOnly = supportsPosix(dir)
          ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
          : new FileAttribute<?>[0];
      Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp", ownerOnly);
      try {
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
          ByteBuffer buffer = ByteBuffer.wrap(pem);
          channel.write(buffer);
          if (buffer.hasRemaining()) {
            throw new IOException("wrote " + buffer.position() + " of " + pem.length + " bytes");
          }
          channel.force(true);
        }
        moveIntoPlace(tmp, file);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (FileAlreadyExistsException e) {
      throw alreadyExists(file);
    } catch (IOException e) {
      throw new KeyFileException("cannot write key file " + file + ": " + e
          + "; pass --key a path you may write, on a file system with room", file, e);
    }
  }

  /**
   * Puts {@code tmp} at {@code file} in one step, never replacing a file there. A hard link fails
   * if {@code file} exists, where rename(2) would replace it (losing a key another process saved
   * since we looked). Where there are no hard links, a move that refuses an existing file.
   */
  private static void moveIntoPlace(Path tmp, Path file) throws IOException {
    try {
      Files.createLink(file, tmp);
    } catch (FileAlreadyExistsException e) {
      throw e;
    } catch (UnsupportedOperationException | FileSystemException e) {
      Files.move(tmp, file);
    }
  }

  /** The bytes of {@code file} after checking that it is a regular file only its owner may use. */
  private static byte[] read(Path file) {
    BasicFileAttributes attributes;
    try {
      attributes = supportsPosix(file)
          ? Files.readAttributes(file, PosixFileAttributes.class)
          : Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new KeyFileException("no key file at " + file + ": create one with"
          + " Identity.generate().save(" + file + "), or pass --key to a path that exists", file);
    } catch (IOException e) {
      throw cannotRead(file, e);
    }
    if (!attributes.isRegularFile()) {
      throw new KeyFileException("key file " + file + " is "
          + (attributes.isDirectory() ? "a directory" : "not a regular file")
          + ": pass --key the path of a PEM key file", file);
    }
    if (attributes instanceof PosixFileAttributes posix
        && !Collections.disjoint(posix.permissions(), GROUP_OR_OTHERS)) {
      throw new KeyFileException("key file " + file + " has permissions "
          + PosixFilePermissions.toString(posix.permissions())
          + ", so other users may read or change this node's private key: run chmod 600 " + file,
          file);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
      if (bytes.length > MAX_FILE_BYTES) {
        throw new KeyFileException("key file " + file + " is larger than " + MAX_FILE_BYTES
            + " bytes, far more than a PEM Ed25519 key (119 bytes): pass --key a key file", file);
      }
      return bytes;
    } catch (IOException e) {
      throw cannotRead(file, e);
    }
  }

  /** The DER between the BEGIN and END lines of the PEM {@code PRIVATE KEY} in {@code bytes}. */
  private static byte[] decodePem(Path file, byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1).strip();
    int labelEnd = text.indexOf(DASHES, BEGIN.length());
    String label = text.startsWith(BEGIN) && labelEnd >= 0
        ? text.substring(BEGIN.length(), labelEnd) : null;
    if (label == null || label.indexOf('\n') >= 0 || label.indexOf('\r') >= 0) {
      throw new KeyFileException("key file " + file + " is not PEM: it does not start with "
          + BEGIN + LABEL + DASHES + "; " + MAKE_ONE, file);
    }
    if (label.equals("ENCRYPTED " + LABEL)) {
      throw new KeyFileException("key file " + file + " holds an encrypted private key, and"
          + " duplex reads unencrypted ones only: decrypt it with openssl pkey -in " + file
          + " -out NEW, then chmod 600 NEW and pass --key NEW", file);
    }
    if (!label.equals(LABEL)) {
      throw new KeyFileException("key file " + file + " holds a PEM " + label + ", not a "
          + LABEL + ": " + MAKE_ONE, file);
    }
    int bodyStart = labelEnd + DASHES.length();
    if (!text.endsWith(END_LINE) || text.length() - END_LINE.length() < bodyStart) {
      throw new KeyFileException("key file " + file + " does not end with " + END_LINE
          + " (cut short, or more than one PEM block): " + DAMAGED, file);
    }
    String base64 = WHITESPACE.matcher(text.substring(bodyStart, text.length() - END_LINE.length()))
        .replaceAll("");
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new KeyFileException("key file " + file + " has corrupt base64 between its BEGIN and"
          + " END lines: " + DAMAGED, file, e);
    }
  }

  /** {@code der} in PEM: BEGIN line, base64 in lines of 64 characters, END line, all LF-ended. */
  private static byte[] encodePem(byte[] der) {
    byte[] base64 = Base64.getMimeEncoder(64, new byte[] {'\n'}).encode(der);
    byte[] begin = (BEGIN + LABEL + DASHES + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] end = ("\n" + END_LINE + "\n").getBytes(StandardCharsets.US_ASCII);
    byte[] pem = new byte[begin.length + base64.length + end.length];
    System.arraycopy(begin, 0, pem, 0, begin.length);
    System.arraycopy(base64, 0, pem, begin.length, base64.length);
    System.arraycopy(end, 0, pem, begin.length + base64.length, end.length);
    return pem;
  }

  /** The type of the PKCS#8 private key {@code der} if the JDK reads it as one it knows. */
  private static String otherAlgorithm(byte[] der) {
    for (String algorithm : OTHER_ALGORITHMS) {
      try {
        KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        return algorithm;
      } catch (GeneralSecurityException e) {
        // Not this type (or this JDK lacks it): try the next.
      }
    }
    return null;
  }

  /** Whether the file store of {@code path}, which must exist, has POSIX permissions. */
  private static boolean supportsPosix(Path path) throws IOException {
    return Files.getFileStore(path).supportsFileAttributeView(PosixFileAttributeView.class);
  }

  private static KeyFileException alreadyExists(Path file) {
    return new KeyFileException(file + " already exists; delete it first or load it", file);
  }

  private static KeyFileException cannotRead(Path file, IOException e) {
    String what = e instanceof AccessDeniedException
        ? "permission denied; run as the user that owns it" : e + "; pass --key a readable file";
    return new KeyFileException("cannot read key file " + file + ": " + what, file, e);
  }
}
