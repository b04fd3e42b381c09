"""The SQLite backend: the job table (``SqliteJobs``) behind its owner thread with group
commit (``ThreadedStore``), with its idempotency keys and job-type limits."""

from ._jobs import SCHEMA_VERSION as SCHEMA_VERSION
from ._jobs import SqliteJobs as SqliteJobs
from ._threaded import ThreadedStore as ThreadedStore
