-- Standard Webhooks signing secrets, one per consumer (src/services/webhook-secret-service.ts).
-- The secret is an HMAC key that signs every delivery, so it is stored as it is, not hashed
-- (unlike API keys): protect this table as the database's other credentials are. A rotation
-- keeps the secret it replaces in `previous_secret` until `previous_valid_until`, and
-- deliveries carry a signature with each meanwhile, so receivers can switch without a gap.
CREATE TABLE webhook_secrets (
  consumer_id          integer     PRIMARY KEY REFERENCES assets (id) ON DELETE CASCADE,
  secret               text        NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  previous_secret      text,
  previous_valid_until timestamptz,
  CHECK ((previous_secret IS NULL) = (previous_valid_until IS NULL))
);
