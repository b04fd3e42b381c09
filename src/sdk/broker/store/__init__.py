"""The job store: its face ``JobStore``, the backend protocol behind it, and the rules and
SQL both backends share (``sqlite/``, ``postgres/``; each imports only from here)."""

from ._backend import Activation as Activation
from ._backend import Backend as Backend
from ._backend import Failure as Failure
from ._backend import JobOutcome as JobOutcome
from ._bulk import run_bulk as run_bulk
from ._deployments import DeployedModel as DeployedModel
from ._deployments import DeploymentRecord as DeploymentRecord
from ._deployments import ProcessDefinitionRecord as ProcessDefinitionRecord
from ._deployments import latest_versions as latest_versions
from ._face import Clock as Clock
from ._face import JobStore as JobStore
from ._face import wall_clock_ms as wall_clock_ms
from ._idempotency import DEFAULT_RETENTION_MS as DEFAULT_RETENTION_MS
from ._idempotency import IDEMPOTENCY_HEADER as IDEMPOTENCY_HEADER
from ._idempotency import IdempotencyKeyReused as IdempotencyKeyReused
from ._keyed import KeyedLimit as KeyedLimit
from ._notifier import Notifier as Notifier
from ._open import is_database_url as is_database_url
from ._open import open_backend as open_backend
from ._rules import FIRST_KEY as FIRST_KEY
from ._rules import StoreVersionError as StoreVersionError
from ._stats import CATEGORIES as CATEGORIES
from ._stats import MAX_WINDOW_MINUTES as MAX_WINDOW_MINUTES
from ._stats import MinuteCounts as MinuteCounts
from ._stats import Stats as Stats
from ._stats import StatsCollector as StatsCollector
from ._stats import collector_for as collector_for
