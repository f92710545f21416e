package io.duplex.benchmarks;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.spec.AlgorithmParameterSpec;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JDK's own AEAD ciphers ({@code javax.crypto.Cipher}, no other provider) sealing and
 * opening one record per operation, as a Noise transport would: a 256-bit key, a 12-byte nonce
 * of 4 zero bytes and a 64-bit record counter (little-endian for ChaCha20-Poly1305, big-endian
 * for AES-GCM, as Noise has it), a 16-byte tag, no associated data. Each seal takes the next
 * counter, since the JDK refuses to encrypt twice under one key and nonce. Each open decrypts
 * the next of two records sealed in set-up under two nonces, in turn (the JDK's ChaCha20 refuses
 * even to decrypt under the key and nonce of its previous {@code init}). Both APIs: {@code byte[]} arrays
 * ({@code init} then {@code doFinal(in, 0, n, out, 0)}) and direct {@link ByteBuffer}s ({@code
 * init} then {@code doFinal(in, out)}).
 *
 * <p>The score is records per second: bytes per second is the score times {@code size}. Run
 * with {@code -prof gc} for bytes allocated per record. {@code 65519} is the largest plaintext a
 * Noise message holds (65535 bytes less the tag).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class AeadBenchmark {
  static final String CHACHA = "ChaCha20-Poly1305";
  static final String AES_GCM = "AES/GCM/NoPadding";
  static final int TAG = 16;

  @Param({CHACHA, AES_GCM})
  public String suite;

  @Param({"64", "1024", "16384", "65519"})
  public int size;

  private Cipher cipher;
  private Key key;
  private final byte[] nonce = new byte[12];
  private ByteBuffer nonceView;
  private long counter;

  private byte[] plain;
  private byte[] sealed;
  private ByteBuffer plainDirect;
  private ByteBuffer sealedDirect;
  /**
   * Two records, each sealed under its own nonce, that the open benchmarks take in turn from
   * {@code next}, the first one first (the last {@code init} of set-up was the second's).
   */
  private final byte[][] records = new byte[2][];
  private final ByteBuffer[] recordsDirect = new ByteBuffer[2];
  private final AlgorithmParameterSpec[] recordSpecs = new AlgorithmParameterSpec[2];
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws GeneralSecurityException {
    cipher = Cipher.getInstance(suite);
    byte[] keyBytes = new byte[32];
    for (int i = 0; i < keyBytes.length; i++) {
      keyBytes[i] = (byte) (i * 7 + 1);
    }
    key = new SecretKeySpec(keyBytes, suite.equals(CHACHA) ? "ChaCha20" : "AES");
    nonceView = ByteBuffer.wrap(nonce)
        .order(suite.equals(CHACHA) ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);

    plain = new byte[size];
    for (int i = 0; i < size; i++) {
      plain[i] = (byte) i;
    }
    sealed = new byte[size + TAG];
    plainDirect = ByteBuffer.allocateDirect(size).put(plain).flip();
    sealedDirect = ByteBuffer.allocateDirect(size + TAG);

    for (int i = 0; i < records.length; i++) {
      recordSpecs[i] = nextNonce();
      cipher.init(Cipher.ENCRYPT_MODE, key, recordSpecs[i]);
      records[i] = cipher.doFinal(plain);
      recordsDirect[i] = ByteBuffer.allocateDirect(records[i].length).put(records[i]).flip();
    }
  }

  /** The spec of the next record's nonce: 4 zero bytes, then the counter. */
  private AlgorithmParameterSpec nextNonce() {
    nonceView.putLong(4, counter++);
    return suite.equals(CHACHA) ? new IvParameterSpec(nonce) : new GCMParameterSpec(128, nonce);
  }

  @Benchmark
  public int sealArray() throws GeneralSecurityException {
    cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
    return cipher.doFinal(plain, 0, size, sealed, 0);
  }

  @Benchmark
  public int sealBuffer() throws GeneralSecurityException {
    plainDirect.rewind();
    sealedDirect.clear();
    cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
    return cipher.doFinal(plainDirect, sealedDirect);
  }

  @Benchmark
  public int openArray() throws GeneralSecurityException {
    int r = next;
    next ^= 1;
    cipher.init(Cipher.DECRYPT_MODE, key, recordSpecs[r]);
    return cipher.doFinal(records[r], 0, size + TAG, plain, 0);
  }

  @Benchmark
  public int openBuffer() throws GeneralSecurityException {
    int r = next;
    next ^= 1;
    ByteBuffer record = recordsDirect[r].rewind();
    plainDirect.clear();
    cipher.init(Cipher.DECRYPT_MODE, key, recordSpecs[r]);
    return cipher.doFinal(record, plainDirect);
  }
}
