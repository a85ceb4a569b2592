#!/usr/bin/env node
// A webhook receiver for trying Tokenbank's webhooks locally: verifies each delivery's Standard
// Webhooks signature with the endpoint's secret, drops duplicates by webhook-id, prints the event.
//   TOKENBANK_WEBHOOK_SECRET=whsec_… node scripts/webhook-receiver.mjs [port]   (default 9000)
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const secret = process.env.TOKENBANK_WEBHOOK_SECRET;
if (!secret || !secret.startsWith('whsec_')) {
  console.error('webhook-receiver: set TOKENBANK_WEBHOOK_SECRET to the whsec_… secret the endpoint was created with');
  process.exit(2);
}
const port = Number(process.argv[2] ?? 9000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`webhook-receiver: "${process.argv[2]}" is not a port`);
  process.exit(2);
}
const wh = new Webhook(secret);
const seen = new Set();

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let event;
    try {
      event = wh.verify(body, req.headers); // the raw body: re-serialised JSON would not match
    } catch (error) {
      console.log(`refused (${error.message}): webhook-id ${req.headers['webhook-id'] ?? '-'}`);
      return res.writeHead(400).end();
    }
    const id = req.headers['webhook-id'];
    if (seen.has(id)) console.log(`duplicate ${id}, already handled`);
    else {
      seen.add(id);
      console.log(`verified ${id} ${event.type} ${event.account_id ?? '(operator)'} ${JSON.stringify(event.data)}`);
    }
    res.writeHead(204).end();
  });
});
server.listen(port, '127.0.0.1', () => console.log(`webhook-receiver: listening on http://127.0.0.1:${server.address().port}/`));
