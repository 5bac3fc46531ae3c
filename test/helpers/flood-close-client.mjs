// A separate client process for issue-7-close-flood.test.ts: publishes with amqplib until
// publish() returns false (the client's buffers are full), then closes the connection, `rounds`
// times. Run apart from the broker's event loop so the close meets a real TCP peer. Prints one
// JSON line: { outcomes: { "<api> <outcome>": count } }.
//
// usage: node flood-close-client.mjs <url> <promise|callback> <rounds>
import amqp from 'amqplib';
import callbackApi from 'amqplib/callback_api.js';

const [url, api, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg);
const BODY = Buffer.from('hello world');
const CLOSE_TIMEOUT_MS = 5000;

const timeout = () => new Promise((resolve) => setTimeout(() => resolve('close timed out'), CLOSE_TIMEOUT_MS));

async function promiseRound() {
  const conn = await amqp.connect(url);
  let error;
  conn.on('error', (err) => (error ??= err));
  const ch = await conn.createChannel();
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  while (ch.sendToQueue(q, BODY));
  const outcome = await Promise.race([conn.close().then(() => 'closed', (err) => `close failed: ${err.message}`), timeout()]);
  return error === undefined ? outcome : `error: ${error.message}`;
}

function callbackRound() {
  return new Promise((resolve) => {
    callbackApi.connect(url, (err, conn) => {
      if (err) return resolve(`connect failed: ${err.message}`);
      conn.on('error', (e) => resolve(`error: ${e.message}`));
      conn.createChannel((err2, ch) => {
        if (err2) return resolve(`channel failed: ${err2.message}`);
        ch.assertQueue('', { exclusive: true }, (err3, ok) => {
          if (err3) return resolve(`declare failed: ${err3.message}`);
          while (ch.sendToQueue(ok.queue, BODY));
          void timeout().then(resolve);
          conn.close((e) => resolve(e ? `close failed: ${e.message}` : 'closed'));
        });
      });
    });
  });
}

const outcomes = {};
for (let i = 0; i < rounds; i++) {
  const outcome = api === 'promise' ? await promiseRound() : await callbackRound();
  const key = `${api} ${outcome}`;
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}
console.log(JSON.stringify({ outcomes }));
process.exit(0);
