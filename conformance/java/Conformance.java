// Conformance scenarios for the RabbitMQ Java client (Debian's librabbitmq-client-java, 5.0.0),
// patterned on the RabbitMQ tutorials. Compiled by run.mjs into a temporary directory.
// Usage: java -cp <classes>:<amqp-client.jar>:<slf4j-api.jar> Conformance <scenario> <amqp-url> <prefix>
// Exit 0 on success; otherwise the last stderr line says what went wrong.
// Shared (non-exclusive) queues and exchanges are named exactly <prefix>.
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.GetResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Predicate;

public final class Conformance {
  static final long WAIT_MS = 10_000;
  static final List<Connection> connections = new ArrayList<>();
  static String url;
  static String prefix;

  static final class Failure extends Exception {
    Failure(String message) { super(message); }
  }

  static void check(boolean condition, String message) throws Failure {
    if (!condition) throw new Failure(message);
  }

  static void expectEqual(Object actual, Object expected, String what) throws Failure {
    check(Objects.equals(actual, expected), what + ": expected " + expected + ", got " + actual);
  }

  /** Collects deliveries from consumer threads; until() waits for a condition with a deadline. */
  static final class Inbox {
    final List<Delivery> items = new ArrayList<>();

    synchronized void add(Delivery delivery) {
      items.add(delivery);
      notifyAll();
    }

    synchronized List<Delivery> until(Predicate<List<Delivery>> condition, String what) throws Exception {
      long deadline = System.currentTimeMillis() + WAIT_MS;
      while (!condition.test(items)) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) throw new Failure("timed out waiting for " + what + " (have " + items.size() + ")");
        wait(left);
      }
      return new ArrayList<>(items);
    }

    List<Delivery> count(int n, String what) throws Exception {
      return until(items -> items.size() >= n, n + " " + what);
    }
  }

  static Channel channel() throws Exception {
    ConnectionFactory factory = new ConnectionFactory();
    factory.setUri(url);
    factory.setAutomaticRecoveryEnabled(false); // a broken connection must fail the scenario
    Connection connection = factory.newConnection();
    connections.add(connection);
    return connection.createChannel();
  }

  static byte[] bytes(String text) { return text.getBytes(StandardCharsets.UTF_8); }

  static String text(Delivery delivery) { return new String(delivery.getBody(), StandardCharsets.UTF_8); }

  static List<String> bodies(List<Delivery> deliveries) {
    List<String> out = new ArrayList<>();
    for (Delivery delivery : deliveries) out.add(text(delivery));
    return out;
  }

  static String consume(Channel channel, String queue, boolean autoAck, Inbox inbox, boolean ackAtOnce)
      throws Exception {
    return channel.basicConsume(queue, autoAck, (tag, delivery) -> {
      inbox.add(delivery);
      if (ackAtOnce) channel.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
    }, tag -> {});
  }

  /** Tutorial 2: worker A holds its first task unacked; with prefetch 1 the rest go to worker B. */
  static void workQueue() throws Exception {
    List<String> tasks = new ArrayList<>();
    for (int i = 0; i < 10; i++) tasks.add("task-" + i);
    Channel producer = channel();
    producer.queueDeclare(prefix, true, false, false, null);
    AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
    for (String task : tasks) producer.basicPublish("", prefix, persistent, bytes(task));

    Channel a = channel();
    a.basicQos(1);
    Inbox aGot = new Inbox();
    consume(a, prefix, false, aGot, false);
    aGot.count(1, "task on worker A");
    Channel b = channel();
    b.basicQos(1);
    Inbox bGot = new Inbox();
    consume(b, prefix, false, bGot, true);
    List<Delivery> bList = bGot.count(tasks.size() - 1, "tasks on worker B");
    List<Delivery> aList = aGot.until(items -> true, "");

    expectEqual(bodies(aList), List.of("task-0"), "worker A (busy, prefetch 1)");
    expectEqual(bodies(bList), tasks.subList(1, tasks.size()), "worker B");
    List<Delivery> all = new ArrayList<>(aList);
    all.addAll(bList);
    for (Delivery d : all) {
      expectEqual(d.getProperties().getDeliveryMode(), 2, "delivery mode of " + text(d));
      check(!d.getEnvelope().isRedeliver(), "a task was redelivered: " + text(d));
    }

    a.basicAck(aList.get(0).getEnvelope().getDeliveryTag(), false);
    a.close(); // an unacked task would be requeued here
    b.close();
    AMQP.Queue.DeclareOk state = producer.queueDeclarePassive(prefix);
    expectEqual(List.of(state.getMessageCount(), state.getConsumerCount()), List.of(0, 0),
        "queue [messages, consumers] after work");
    expectEqual(producer.queueDelete(prefix).getMessageCount(), 0, "queue.delete-ok message count");
  }

  /** Tutorial 3: a fanout exchange copies every message to each bound queue, ignoring keys. */
  static void publishSubscribe() throws Exception {
    Channel subscriber = channel();
    subscriber.exchangeDeclare(prefix, "fanout");
    List<String> queues = new ArrayList<>();
    List<Inbox> inboxes = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      String queue = subscriber.queueDeclare().getQueue(); // server-named, exclusive
      check(!queue.isEmpty(), "server-named queue has an empty name");
      subscriber.queueBind(queue, prefix, "");
      Inbox inbox = new Inbox();
      consume(subscriber, queue, true, inbox, false);
      queues.add(queue);
      inboxes.add(inbox);
    }
    check(!queues.get(0).equals(queues.get(1)), "server-named queues share a name");

    List<String> logs = new ArrayList<>();
    for (int i = 0; i < 6; i++) logs.add("log-" + i);
    Channel publisher = channel();
    for (int i = 0; i < logs.size(); i++) publisher.basicPublish(prefix, "key." + i, null, bytes(logs.get(i)));
    for (int i = 0; i < inboxes.size(); i++) {
      List<Delivery> got = inboxes.get(i).count(logs.size(), "logs on subscriber " + i);
      expectEqual(bodies(got), logs, "subscriber " + i);
      for (Delivery d : got) expectEqual(d.getEnvelope().getExchange(), prefix, "exchange on delivery");
    }
    subscriber.exchangeDelete(prefix);
  }

  /** Binds one exclusive queue per entry of bindings, publishes body "key:i" per key and returns
   * the routing keys each queue received, once each has seen the last key. */
  static List<List<String>> bindAndPublish(String type, List<List<String>> bindings, List<String> keys)
      throws Exception {
    Channel channel = channel();
    channel.exchangeDeclare(prefix, type);
    List<Inbox> inboxes = new ArrayList<>();
    for (List<String> bindingKeys : bindings) {
      String queue = channel.queueDeclare().getQueue();
      for (String key : bindingKeys) channel.queueBind(queue, prefix, key);
      Inbox inbox = new Inbox();
      consume(channel, queue, true, inbox, false);
      inboxes.add(inbox);
    }
    Channel publisher = channel();
    for (int i = 0; i < keys.size(); i++) publisher.basicPublish(prefix, keys.get(i), null, bytes(keys.get(i) + ":" + i));
    String last = keys.get(keys.size() - 1) + ":" + (keys.size() - 1);
    List<List<String>> results = new ArrayList<>();
    for (int i = 0; i < inboxes.size(); i++) {
      List<Delivery> got = inboxes.get(i).until(items -> bodies(items).contains(last), "end marker on queue " + i);
      List<String> routed = new ArrayList<>();
      for (Delivery d : got) {
        String key = d.getEnvelope().getRoutingKey();
        check(text(d).startsWith(key + ":"), "routing key mismatch: " + key + " for " + text(d));
        routed.add(key);
      }
      results.add(routed);
    }
    channel.exchangeDelete(prefix);
    return results;
  }

  /** Tutorial 4: direct exchange; one queue takes errors, one takes info/warning/error. */
  static void routing() throws Exception {
    List<String> keys = List.of("info", "warning", "error", "debug", "error", "info", "debug", "error");
    List<List<String>> got = bindAndPublish("direct", List.of(List.of("error"), List.of("info", "warning", "error")), keys);
    expectEqual(got.get(0), List.of("error", "error", "error"), "error-only queue");
    expectEqual(got.get(1), List.of("info", "warning", "error", "error", "info", "error"), "info/warning/error queue");
  }

  /** Tutorial 5: topic exchange; '*' is exactly one word, '#' is zero or more. */
  static void topics() throws Exception {
    List<String> keys = List.of("quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
        "lazy.pink.rabbit", "quick.brown.fox", "orange", "quick.orange.new.rabbit",
        "lazy.orange.new.rabbit", "lazy", "end.orange.rabbit");
    List<List<String>> got = bindAndPublish("topic", List.of(List.of("*.orange.*"), List.of("*.*.rabbit", "lazy.#")), keys);
    expectEqual(got.get(0), List.of("quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "end.orange.rabbit"),
        "queue bound to '*.orange.*'");
    expectEqual(got.get(1), List.of("quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy.pink.rabbit",
        "lazy.orange.new.rabbit", "lazy", "end.orange.rabbit"), "queue bound to '*.*.rabbit' and 'lazy.#'");
  }

  static long fib(int n) {
    long a = 0, b = 1;
    for (int i = 0; i < n; i++) { long next = a + b; a = b; b = next; }
    return a;
  }

  /** Tutorial 6: RPC over a request queue, an exclusive reply queue and correlation ids. */
  static void rpc() throws Exception {
    Channel server = channel();
    server.queueDeclare(prefix, false, false, true, null);
    server.basicQos(1);
    server.basicConsume(prefix, false, (tag, request) -> {
      AMQP.BasicProperties in = request.getProperties();
      AMQP.BasicProperties out = new AMQP.BasicProperties.Builder().correlationId(in.getCorrelationId()).build();
      server.basicPublish("", in.getReplyTo(), out, bytes(Long.toString(fib(Integer.parseInt(text(request))))));
      server.basicAck(request.getEnvelope().getDeliveryTag(), false);
    }, tag -> {});

    Channel client = channel();
    String replyQueue = client.queueDeclare().getQueue();
    Inbox replies = new Inbox();
    consume(client, replyQueue, true, replies, false);
    int[] ns = {0, 1, 2, 10, 30};
    for (int i = 0; i < ns.length; i++) {
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
          .replyTo(replyQueue).correlationId(prefix + ".call-" + i).build();
      client.basicPublish("", prefix, props, bytes(Integer.toString(ns[i])));
    }
    List<Delivery> got = replies.count(ns.length, "replies");
    expectEqual(got.size(), ns.length, "reply count");
    Map<String, String> byId = new HashMap<>();
    for (Delivery d : got) byId.put(d.getProperties().getCorrelationId(), text(d));
    List<String> actual = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < ns.length; i++) {
      actual.add(byId.get(prefix + ".call-" + i));
      expected.add(Long.toString(fib(ns[i])));
    }
    expectEqual(actual, expected, "fib replies by correlation id");
  }

  /** Tutorial 7: streaming publisher confirms (ConfirmListener), then every message is there in order. */
  static void confirms() throws Exception {
    int total = 500;
    Channel channel = channel();
    channel.queueDeclare(prefix, true, false, false, null);
    channel.confirmSelect();
    TreeSet<Long> outstanding = new TreeSet<>();
    int[] nacks = {0};
    channel.addConfirmListener((seq, multiple) -> {
      synchronized (outstanding) {
        if (multiple) outstanding.headSet(seq, true).clear(); else outstanding.remove(seq);
      }
    }, (seq, multiple) -> {
      synchronized (outstanding) { nacks[0]++; }
    });
    AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
    for (int i = 0; i < total; i++) {
      synchronized (outstanding) { outstanding.add(channel.getNextPublishSeqNo()); }
      channel.basicPublish("", prefix, persistent, bytes("msg-" + i));
    }
    channel.waitForConfirmsOrDie(WAIT_MS);
    synchronized (outstanding) {
      expectEqual(List.of(outstanding.size(), nacks[0]), List.of(0, 0), "[unconfirmed, nacked]");
    }
    expectEqual(channel.queueDeclarePassive(prefix).getMessageCount(), total, "message count after confirms");

    Inbox drained = new Inbox();
    consume(channel, prefix, true, drained, false);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < total; i++) expected.add("msg-" + i);
    expectEqual(bodies(drained.count(total, "drained messages")), expected, "drained bodies");
    expectEqual(channel.queueDelete(prefix).getMessageCount(), 0, "queue.delete-ok message count");
  }

  /** Mandatory + unroutable -> basic.return 312 NO_ROUTE, and with confirms the ack comes after it. */
  static void returns() throws Exception {
    Channel channel = channel();
    channel.confirmSelect();
    channel.exchangeDeclare(prefix, "direct");
    String queue = channel.queueDeclare().getQueue();
    channel.queueBind(queue, prefix, "known");
    List<String> events = Collections.synchronizedList(new ArrayList<>());
    channel.addReturnListener(r -> events.add("return " + r.getReplyCode() + " " + r.getReplyText() + " "
        + r.getExchange().equals(prefix) + " " + r.getRoutingKey() + " " + r.getProperties().getMessageId()
        + " " + new String(r.getBody(), StandardCharsets.UTF_8)));
    channel.addConfirmListener((seq, multiple) -> events.add((multiple ? "ack<=" : "ack ") + seq),
        (seq, multiple) -> events.add("nack " + seq));
    String[][] publishes = {{"nowhere", "lost", "m1", "mandatory"}, {"nowhere", "dropped", "m2", ""},
        {"known", "kept", "m3", "mandatory"}};
    for (String[] p : publishes) {
      AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().messageId(p[2]).build();
      channel.basicPublish(prefix, p[0], !p[3].isEmpty(), props, bytes(p[1]));
    }
    channel.waitForConfirmsOrDie(WAIT_MS);

    List<String> snapshot;
    synchronized (events) { snapshot = new ArrayList<>(events); }
    List<String> returned = new ArrayList<>();
    for (String e : snapshot) if (e.startsWith("return")) returned.add(e);
    expectEqual(returned, List.of("return 312 NO_ROUTE true nowhere m1 lost"), "returned messages");
    int firstAckOfM1 = -1;
    for (int i = 0; i < snapshot.size() && firstAckOfM1 < 0; i++) {
      if (snapshot.get(i).equals("ack 1") || snapshot.get(i).startsWith("ack<=")) firstAckOfM1 = i;
    }
    check(firstAckOfM1 > snapshot.indexOf(returned.get(0)), "m1 was not acked after its return: " + snapshot);
    for (String e : snapshot) check(!e.startsWith("nack"), "unexpected nack: " + snapshot);

    GetResponse routed = channel.basicGet(queue, true);
    check(routed != null, "the routable mandatory message was not delivered");
    expectEqual(List.of(new String(routed.getBody(), StandardCharsets.UTF_8), routed.getEnvelope().getRoutingKey()),
        List.of("kept", "known"), "routed message");
    expectEqual(channel.basicGet(queue, true), null, "second basic.get");
    channel.exchangeDelete(prefix);
  }

  public static void main(String[] args) {
    if (args.length != 3) fail("usage: Conformance <scenario> <url> <prefix>");
    url = args[1];
    prefix = args[2];
    try {
      switch (args[0]) {
        case "work-queue" -> workQueue();
        case "publish-subscribe" -> publishSubscribe();
        case "routing" -> routing();
        case "topics" -> topics();
        case "rpc" -> rpc();
        case "confirms" -> confirms();
        case "returns" -> returns();
        default -> fail("unknown scenario " + args[0]);
      }
      for (Connection connection : connections) connection.close();
    } catch (Failure failure) {
      fail(failure.getMessage());
    } catch (Exception error) {
      fail(error.getClass().getSimpleName() + ": " + error.getMessage());
    }
    System.exit(0);
  }

  static void fail(String message) {
    System.err.println(String.valueOf(message).replace('\n', ' '));
    System.exit(1);
  }
}
