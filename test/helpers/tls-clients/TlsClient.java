// A round trip over TLS with the RabbitMQ Java client (Debian's librabbitmq-client-java, 5.0.0), for
// test/integration/tls-clients.test.ts. Compiled by the test into a temporary directory.
// Usage: java -cp <classes>:<amqp-client.jar>:<slf4j-api.jar> TlsClient <port> <ca.pem> plain|external [<client.p12> <password> <user>]
// Trusts the server certificate through <ca.pem>; with a PKCS#12 key store, presents its certificate.
// 'plain' logs in as guest/guest, 'external' with SASL EXTERNAL. Publishes to an exclusive queue with
// user_id set to the expected login, gets the message back and prints "ok <body> as <user_id>".
// Exit 0 on success; otherwise the last line says what went wrong.
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultSaslConfig;
import com.rabbitmq.client.GetResponse;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

public final class TlsClient {
  public static void main(String[] args) {
    try {
      run(args);
    } catch (Exception e) {
      System.err.println(e.getClass().getSimpleName() + ": " + e.getMessage());
      System.exit(1);
    }
  }

  static void run(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    boolean external = args[2].equals("external");

    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = new FileInputStream(args[1])) {
      trust.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);

    KeyManagerFactory kmf = null;
    if (args.length > 3) {
      char[] password = args[4].toCharArray();
      KeyStore keys = KeyStore.getInstance("PKCS12");
      try (InputStream in = new FileInputStream(args[3])) {
        keys.load(in, password);
      }
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);

    ConnectionFactory factory = new ConnectionFactory();
    factory.setHost("127.0.0.1");
    factory.setPort(port);
    factory.useSslProtocol(context);
    String user = "guest";
    if (external) {
      factory.setSaslConfig(DefaultSaslConfig.EXTERNAL);
      user = args[5];
    }
    Connection connection = factory.newConnection();
    try {
      Channel channel = connection.createChannel();
      String queue = channel.queueDeclare("", false, true, true, null).getQueue();
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().userId(user).build();
      channel.basicPublish("", queue, props, "java over tls".getBytes(StandardCharsets.UTF_8));
      long deadline = System.currentTimeMillis() + 10_000;
      GetResponse got;
      while ((got = channel.basicGet(queue, true)) == null) {
        if (System.currentTimeMillis() > deadline) throw new IllegalStateException("no message within 10 s");
        Thread.sleep(20);
      }
      System.out.println("ok " + new String(got.getBody(), StandardCharsets.UTF_8) + " as " + got.getProps().getUserId());
    } finally {
      connection.close();
    }
  }
}
