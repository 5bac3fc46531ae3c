"""A pika (BlockingConnection) round trip over TLS, for test/integration/tls-clients.test.ts.

Usage: /usr/bin/python3 pika_tls.py <port> <ca.pem> plain|external [<client.pem> <client.key> <user>]
Verifies the server as 'localhost' against <ca.pem>; with a client certificate, presents it.
'plain' logs in as guest/guest, 'external' with SASL EXTERNAL. Publishes to an exclusive queue
with user_id set to the expected login, gets the message back and prints "ok <body> as <user_id>".
Exit 0 on success; otherwise the last line says what went wrong.
"""
import ssl
import sys
import time

import pika


def main(port, ca, mode, cert=None, key=None, user="guest"):
    context = ssl.create_default_context(cafile=ca)
    if cert is not None:
        context.load_cert_chain(cert, key)
    if mode == "external":
        credentials = pika.credentials.ExternalCredentials()
    else:
        credentials = pika.PlainCredentials("guest", "guest")
    params = pika.ConnectionParameters(
        host="127.0.0.1",
        port=int(port),
        ssl_options=pika.SSLOptions(context, "localhost"),
        credentials=credentials,
        connection_attempts=1,
    )
    connection = pika.BlockingConnection(params)
    try:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.basic_publish("", queue, b"pika over tls", pika.BasicProperties(user_id=user))
        deadline = time.monotonic() + 10
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=True)
            if method is not None:
                print(f"ok {body.decode()} as {properties.user_id}")
                return
            if time.monotonic() > deadline:
                raise RuntimeError("no message within 10 s")
            connection.process_data_events(time_limit=0.02)
    finally:
        connection.close()


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except Exception as error:  # the last line is the reason
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
