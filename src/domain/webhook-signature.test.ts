import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeader, webhookTimestamp } from './webhook-signature.js';

describe('Standard Webhooks signatures', () => {
  it('makes secrets of 32 random bytes, prefixed whsec_', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(a);
  });

  it('signs id.timestamp.body with HMAC-SHA256 of the decoded key, as the specification says', () => {
    const secret = newWebhookSecret();
    const at = new Date();
    const body = '{"id":7,"event":"asset.deprecated"}';
    const expected = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(`7.${webhookTimestamp(at)}.${body}`)
      .digest('base64');
    expect(signatureHeader([secret], '7', at, body)).toBe(`v1,${expected}`);
  });

  it('carries one signature per secret; a verifier holding either accepts, one holding neither refuses', () => {
    const [current, previous, other] = [newWebhookSecret(), newWebhookSecret(), newWebhookSecret()];
    const at = new Date();
    const body = '{"id":1}';
    const headers = { 'webhook-id': '1', 'webhook-timestamp': webhookTimestamp(at), 'webhook-signature': signatureHeader([current, previous], '1', at, body) };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(body, headers)).toEqual({ id: 1 });
    expect(new Webhook(previous).verify(body, headers)).toEqual({ id: 1 });
    expect(() => new Webhook(other).verify(body, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(current).verify('{"id":2}', headers)).toThrow(/No matching signature/);
  });
});
