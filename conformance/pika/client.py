"""Conformance scenarios for pika (BlockingConnection), patterned on the RabbitMQ tutorials.

Usage: /usr/bin/python3 client.py <scenario> <amqp-url> <prefix>
Exit 0 on success; otherwise the last stderr line says what went wrong.
Shared (non-exclusive) queues and exchanges are named exactly <prefix>.
"""
import logging
import sys
import time

import pika

WAIT_SECONDS = 10.0
connections = []


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def expect_equal(actual, expected, what):
    check(actual == expected, f"{what}: expected {expected!r}, got {actual!r}")


def connect(url):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    connections.append(connection)
    return connection


def pump(conns, predicate, what):
    """Dispatches callbacks on every connection in `conns` until `predicate()` holds."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        if time.monotonic() > deadline:
            raise Failure(f"timed out waiting for {what}")
        for connection in conns:
            connection.process_data_events(time_limit=0.02)


def collector(into, ack=False):
    def on_message(channel, method, properties, body):
        into.append((method, properties, body.decode()))
        if ack:
            channel.basic_ack(method.delivery_tag)
    return on_message


def bodies(messages):
    return [body for _, _, body in messages]


def work_queue(url, prefix):
    """Tutorial 2: worker A holds its first task unacked; with prefetch 1 the rest go to worker B."""
    tasks = [f"task-{i}" for i in range(10)]
    producer = connect(url).channel()
    producer.queue_declare(prefix, durable=True)
    for task in tasks:
        producer.basic_publish("", prefix, task.encode(), pika.BasicProperties(delivery_mode=2))

    def start_worker(ack):
        connection = connect(url)
        channel = connection.channel()
        channel.basic_qos(prefetch_count=1)
        got = []
        channel.basic_consume(prefix, collector(got, ack=ack))
        return connection, channel, got

    a_conn, a_channel, a_got = start_worker(ack=False)
    pump([a_conn], lambda: len(a_got) >= 1, "a task on worker A")
    b_conn, b_channel, b_got = start_worker(ack=True)
    pump([a_conn, b_conn], lambda: len(b_got) >= len(tasks) - 1, f"{len(tasks) - 1} tasks on worker B")
    a_conn.process_data_events(time_limit=0)

    expect_equal(bodies(a_got), ["task-0"], "worker A (busy, prefetch 1)")
    expect_equal(bodies(b_got), tasks[1:], "worker B")
    everything = a_got + b_got
    check(all(p.delivery_mode == 2 for _, p, _ in everything), "tasks lost their persistent delivery mode")
    check(not any(m.redelivered for m, _, _ in everything), "a task was redelivered")

    a_channel.basic_ack(a_got[0][0].delivery_tag)
    a_channel.close()  # an unacked task would be requeued here
    b_channel.close()
    state = producer.queue_declare(prefix, passive=True).method
    expect_equal((state.message_count, state.consumer_count), (0, 0), "queue (messages, consumers) after work")
    expect_equal(producer.queue_delete(prefix).method.message_count, 0, "queue.delete-ok message count")


def publish_subscribe(url, prefix):
    """Tutorial 3: a fanout exchange copies every message to each bound queue, ignoring keys."""
    sub_conn = connect(url)
    subscriber = sub_conn.channel()
    subscriber.exchange_declare(prefix, "fanout")
    inboxes = []
    for _ in range(2):
        queue = subscriber.queue_declare("", exclusive=True).method.queue
        check(queue, "server-named queue has an empty name")
        subscriber.queue_bind(queue, prefix)
        got = []
        subscriber.basic_consume(queue, collector(got), auto_ack=True)
        inboxes.append((queue, got))
    check(inboxes[0][0] != inboxes[1][0], "server-named queues share a name")

    logs = [f"log-{i}" for i in range(6)]
    publisher = connect(url).channel()
    for i, log in enumerate(logs):
        publisher.basic_publish(prefix, f"key.{i}", log.encode())
    for i, (_, got) in enumerate(inboxes):
        pump([sub_conn], lambda got=got: len(got) >= len(logs), f"{len(logs)} logs on subscriber {i}")
        expect_equal(bodies(got), logs, f"subscriber {i}")
        check(all(m.exchange == prefix for m, _, _ in got), f"subscriber {i}: wrong exchange on delivery")
    subscriber.exchange_delete(prefix)


def bind_and_publish(url, prefix, exchange_type, bindings, keys):
    """Binds one exclusive queue per entry of `bindings`, publishes body `key:i` for each key and
    returns the routing keys each queue received, once each has seen the last key."""
    conn = connect(url)
    channel = conn.channel()
    channel.exchange_declare(prefix, exchange_type)
    inboxes = []
    for binding_keys in bindings:
        queue = channel.queue_declare("", exclusive=True).method.queue
        for key in binding_keys:
            channel.queue_bind(queue, prefix, key)
        got = []
        channel.basic_consume(queue, collector(got), auto_ack=True)
        inboxes.append(got)
    publisher = connect(url).channel()
    for i, key in enumerate(keys):
        publisher.basic_publish(prefix, key, f"{key}:{i}".encode())
    last = f"{keys[-1]}:{len(keys) - 1}"
    results = []
    for i, got in enumerate(inboxes):
        pump([conn], lambda got=got: last in bodies(got), f"end marker on queue {i}")
        check(all(body.startswith(f"{m.routing_key}:") for m, _, body in got), "routing key mismatch")
        results.append([m.routing_key for m, _, _ in got])
    channel.exchange_delete(prefix)
    return results


def routing(url, prefix):
    """Tutorial 4: direct exchange; one queue takes errors, one takes info/warning/error."""
    keys = ["info", "warning", "error", "debug", "error", "info", "debug", "error"]
    errors, everything = bind_and_publish(url, prefix, "direct", [["error"], ["info", "warning", "error"]], keys)
    expect_equal(errors, ["error", "error", "error"], "error-only queue")
    expect_equal(everything, ["info", "warning", "error", "error", "info", "error"], "info/warning/error queue")


def topics(url, prefix):
    """Tutorial 5: topic exchange; '*' is exactly one word, '#' is zero or more."""
    keys = [
        "quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "lazy.brown.fox",
        "lazy.pink.rabbit", "quick.brown.fox", "orange", "quick.orange.new.rabbit",
        "lazy.orange.new.rabbit", "lazy", "end.orange.rabbit",
    ]
    orange, rabbit_or_lazy = bind_and_publish(url, prefix, "topic", [["*.orange.*"], ["*.*.rabbit", "lazy.#"]], keys)
    expect_equal(orange, ["quick.orange.rabbit", "lazy.orange.elephant", "quick.orange.fox", "end.orange.rabbit"],
                 "queue bound to '*.orange.*'")
    expect_equal(rabbit_or_lazy, [
        "quick.orange.rabbit", "lazy.orange.elephant", "lazy.brown.fox", "lazy.pink.rabbit",
        "lazy.orange.new.rabbit", "lazy", "end.orange.rabbit",
    ], "queue bound to '*.*.rabbit' and 'lazy.#'")


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def rpc(url, prefix):
    """Tutorial 6: RPC over a request queue, an exclusive reply queue and correlation ids."""
    server_conn = connect(url)
    server = server_conn.channel()
    server.queue_declare(prefix, auto_delete=True)
    server.basic_qos(prefetch_count=1)

    def on_request(channel, method, properties, body):
        reply = pika.BasicProperties(correlation_id=properties.correlation_id)
        channel.basic_publish("", properties.reply_to, str(fib(int(body))).encode(), reply)
        channel.basic_ack(method.delivery_tag)

    server.basic_consume(prefix, on_request)

    client_conn = connect(url)
    client = client_conn.channel()
    reply_queue = client.queue_declare("", exclusive=True).method.queue
    replies = []
    client.basic_consume(reply_queue, collector(replies), auto_ack=True)
    calls = [(n, f"{prefix}.call-{i}") for i, n in enumerate([0, 1, 2, 10, 30])]
    for n, call_id in calls:
        props = pika.BasicProperties(reply_to=reply_queue, correlation_id=call_id)
        client.basic_publish("", prefix, str(n).encode(), props)
    pump([server_conn, client_conn], lambda: len(replies) >= len(calls), f"{len(calls)} replies")
    expect_equal(len(replies), len(calls), "reply count")
    by_id = {p.correlation_id: body for _, p, body in replies}
    expect_equal([by_id.get(call_id) for _, call_id in calls], [str(fib(n)) for n, _ in calls],
                 "fib replies by correlation id")


def confirms(url, prefix):
    """Tutorial 7 (individual confirms: BlockingChannel waits for each ack), then drain in order."""
    total = 500
    conn = connect(url)
    channel = conn.channel()
    channel.queue_declare(prefix, durable=True)
    channel.confirm_delivery()
    persistent = pika.BasicProperties(delivery_mode=2)
    for i in range(total):
        channel.basic_publish("", prefix, f"msg-{i}".encode(), persistent)  # raises on nack
    count = channel.queue_declare(prefix, passive=True).method.message_count
    expect_equal(count, total, "message count after confirms")

    drained = []
    channel.basic_consume(prefix, collector(drained), auto_ack=True)
    pump([conn], lambda: len(drained) >= total, f"{total} drained messages")
    expect_equal(bodies(drained), [f"msg-{i}" for i in range(total)], "drained bodies")
    expect_equal(channel.queue_delete(prefix).method.message_count, 0, "queue.delete-ok message count")


def returns(url, prefix):
    """Mandatory + unroutable -> basic.return 312 NO_ROUTE, then still the confirm ack.

    With confirms on, BlockingChannel.basic_publish raises UnroutableError only when the return
    arrived before the ack; a return arriving later would surface on the next publish."""
    channel = connect(url).channel()
    channel.confirm_delivery()
    channel.exchange_declare(prefix, "direct")
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, prefix, "known")
    try:
        channel.basic_publish(prefix, "nowhere", b"lost", pika.BasicProperties(message_id="m1"), mandatory=True)
        raise Failure("no basic.return before the ack for a mandatory unroutable message")
    except pika.exceptions.UnroutableError as error:
        expect_equal(len(error.messages), 1, "returned message count")
        returned = error.messages[0]
        method = returned.method
        expect_equal((method.reply_code, method.reply_text, method.exchange, method.routing_key),
                     (312, "NO_ROUTE", prefix, "nowhere"), "basic.return fields")
        expect_equal((returned.properties.message_id, returned.body), ("m1", b"lost"), "returned message")
    channel.basic_publish(prefix, "nowhere", b"dropped", pika.BasicProperties(message_id="m2"))
    channel.basic_publish(prefix, "known", b"kept", pika.BasicProperties(message_id="m3"), mandatory=True)

    method, _, body = channel.basic_get(queue, auto_ack=True)
    check(method is not None, "the routable mandatory message was not delivered")
    expect_equal((body, method.routing_key), (b"kept", "known"), "routed message")
    expect_equal(channel.basic_get(queue, auto_ack=True)[0], None, "second basic.get")
    channel.exchange_delete(prefix)


SCENARIOS = {
    "work-queue": work_queue,
    "publish-subscribe": publish_subscribe,
    "routing": routing,
    "topics": topics,
    "rpc": rpc,
    "confirms": confirms,
    "returns": returns,
}


def main():
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    if len(sys.argv) != 4 or sys.argv[1] not in SCENARIOS:
        print(f"usage: client.py <{'|'.join(SCENARIOS)}> <url> <prefix>", file=sys.stderr)
        return 2
    scenario, url, prefix = sys.argv[1:]
    try:
        SCENARIOS[scenario](url, prefix)
    except Exception as error:  # report any failure as one line
        text = str(error) if isinstance(error, Failure) else f"{type(error).__name__}: {error}"
        print(text.replace("\n", " "), file=sys.stderr)
        return 1
    for connection in connections:
        try:
            connection.close()
        except Exception:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
