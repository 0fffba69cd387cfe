-- Idempotency keys are stored as their SHA-256 and answers sealed (AES-GCM): drop the answers kept in clear before.
DELETE FROM idempotency_key;
COMMENT ON COLUMN idempotency_key.key IS 'SHA-256 of the Idempotency-Key (hex)';
COMMENT ON COLUMN idempotency_key.body IS '12-byte nonce + AES-GCM sealed answer; the key derives from the server secret, scope and Idempotency-Key';
