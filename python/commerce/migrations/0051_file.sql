-- Uploaded files (Medusa's File module, POST /admin/uploads): the bytes themselves, so a file is served and read
-- back (a product import by file key) from PostgreSQL on any machine, with no file system to share.
CREATE TABLE file (
    id          text PRIMARY KEY,
    filename    text NOT NULL,
    mime_type   text NOT NULL,
    size        bigint NOT NULL,
    content     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
