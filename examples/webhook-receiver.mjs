// A receiver for depcat's webhook notices that checks each one's Standard Webhooks
// signature (https://www.standardwebhooks.com) before trusting it, and prints it.
//
//   WEBHOOK_SECRET=whsec_... node examples/webhook-receiver.mjs [port]
//
// The secret is what `POST /v1/assets/consumer/{name}/webhook-secret` answered. The port
// comes from the argument, else PORT, else 4000; the server listens on 127.0.0.1 only.
// Point the consumer's `sla.notify` at http://127.0.0.1:<port>/ (the server must allow
// it: DEPCAT_WEBHOOK_ALLOW=127.0.0.1).
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const port = Number(process.argv[2] ?? process.env.PORT ?? 4000);
const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('Set WEBHOOK_SECRET to the secret that POST /v1/assets/consumer/{name}/webhook-secret answered.');
  process.exit(1);
}
// Checks the HMAC over webhook-id.webhook-timestamp.body against every signature the
// header carries (two during a rotation's overlap), and refuses timestamps more than
// five minutes off, so a captured notice cannot be replayed later.
const webhook = new Webhook(secret);

createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    // The signature covers the body exactly as sent: verify the raw text, then parse.
    const body = Buffer.concat(chunks).toString('utf8');
    let notice;
    try {
      notice = webhook.verify(body, request.headers);
    } catch (error) {
      console.error(`refused a request (webhook-id ${request.headers['webhook-id'] ?? 'none'}): ${error.message}`);
      response.writeHead(401).end();
      return;
    }
    // Delivery is at least once: a receiver that must not act twice de-duplicates on webhook-id.
    console.log(`verified notice ${request.headers['webhook-id']}: ${JSON.stringify(notice)}`);
    response.writeHead(204).end();
  });
}).listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}/`));
