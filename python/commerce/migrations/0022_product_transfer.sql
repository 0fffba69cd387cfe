-- Product imports waiting for their confirmation and finished exports (issue 10: POST /admin/products/import,
-- /import/:transaction_id/confirm, /export), kept a day. Medusa keeps these in its workflow engine and file module;
-- here the file itself is the row's content.
CREATE TABLE product_transfer (
    id          text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('import', 'export')),
    file_name   text NOT NULL,
    content     text NOT NULL,
    summary     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_transfer_created_idx ON product_transfer (created_at);
