package io.duplex.benchmarks.baseline;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;

/**
 * The TLS of the {@code netty-tls} baseline: TLS 1.3 only, through the JDK's own provider
 * ({@link SslProvider#JDK}, what a Java user would pick), authenticated both ways as a
 * peer-to-peer node would be. Each side presents the one benchmark certificate ({@value
 * #KEYSTORE} beside this class: a throwaway self-signed EC P-256 key) and requires the peer's,
 * trusting that certificate alone.
 *
 * <p>No hostname check: a node dials addresses from its peer list and knows its peers by
 * certificate, not by DNS name. The client's engine is made without a peer host and port, so the
 * JDK finds no session to resume: every connection is a full handshake, as with a new peer.
 */
public final class NettyTls {
  static final String KEYSTORE = "tls-node.p12";
  private static final char[] PASSWORD = "duplex-bench".toCharArray();
  private static final String TLS_1_3 = "TLSv1.3";

  private final SslContext server;
  private final SslContext client;

  /** Loads the benchmark key and builds the server's and the client's contexts. */
  public NettyTls() throws IOException, GeneralSecurityException {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = NettyTls.class.getResourceAsStream(KEYSTORE)) {
      if (in == null) {
        throw new IOException(KEYSTORE + " is not on the class path");
      }
      keys.load(in, PASSWORD);
    }
    KeyManagerFactory keyManager =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManager.init(keys, PASSWORD);
    X509Certificate trusted = (X509Certificate) keys.getCertificate(keys.aliases().nextElement());
    server = SslContextBuilder.forServer(keyManager)
        .sslProvider(SslProvider.JDK).protocols(TLS_1_3)
        .trustManager(trusted).clientAuth(ClientAuth.REQUIRE)
        .build();
    client = SslContextBuilder.forClient()
        .sslProvider(SslProvider.JDK).protocols(TLS_1_3)
        .keyManager(keyManager).trustManager(trusted)
        .endpointIdentificationAlgorithm(null)
        .build();
  }

  /** A new server-side handler, to go first in an accepted channel's pipeline. */
  public SslHandler serverHandler(ByteBufAllocator alloc) {
    return server.newHandler(alloc);
  }

  /** A new client-side handler, to go first in a connecting channel's pipeline. */
  public SslHandler clientHandler(ByteBufAllocator alloc) {
    return client.newHandler(alloc);
  }

  /** The handshake of {@code channel}, whose pipeline holds an {@link SslHandler}. */
  public static Future<Channel> handshake(Channel channel) {
    return channel.pipeline().get(SslHandler.class).handshakeFuture();
  }
}
