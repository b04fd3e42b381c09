"""What a worker shows of itself: metrics (and their Prometheus bridge), the health endpoint,
job spans (OpenTelemetry) and the log lines of ended jobs."""

from ._health import DEFAULT_HTTP_HOST as DEFAULT_HTTP_HOST
from ._health import App as App
from ._health import bind_http as bind_http
from ._health import health_app as health_app
from ._health import serve_http as serve_http
from ._joblog import JobLog as JobLog
from ._joblog import JobLogMode as JobLogMode
from ._metrics import MULTIPROC_ENV as MULTIPROC_ENV
from ._metrics import WorkerMetrics as WorkerMetrics
from ._tracing import JobTrace as JobTrace
from ._tracing import JobTracing as JobTracing

__all__ = [
    "DEFAULT_HTTP_HOST",
    "MULTIPROC_ENV",
    "App",
    "JobLog",
    "JobLogMode",
    "JobTrace",
    "JobTracing",
    "WorkerMetrics",
    "bind_http",
    "health_app",
    "serve_http",
]
