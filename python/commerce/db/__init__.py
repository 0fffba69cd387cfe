"""Database access: the connection pool, migrations, the embedded PostgreSQL, change notifications."""
