"""The PostgreSQL backend, for brokers that share one database (needs ``sdk[postgres]``)."""

from ._store import PostgresStore as PostgresStore
