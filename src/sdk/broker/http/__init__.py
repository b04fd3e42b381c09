"""The broker's HTTP surface: Camunda's job routes, the extensions beside them, and the
parsing of requests they share."""

from starlette.routing import BaseRoute

from . import (
    _batch,
    _camunda,
    _clock,
    _deployments,
    _ext,
    _identity,
    _messages,
    _processes,
    _schedules,
    _stats,
    _user_tasks,
)
from ._hot import HotRoutes as HotRoutes
from ._limits import MAX_TYPE_LENGTH as MAX_TYPE_LENGTH
from ._request import describe as describe
from ._request import job_key_param as job_key_param
from ._request import store_of as store_of
from ._stats import DEFAULT_WINDOW_MINUTES as DEFAULT_WINDOW_MINUTES
from ._stats import read_stats as read_stats

ROUTES: list[BaseRoute] = [
    *_camunda.ROUTES,
    *_deployments.ROUTES,
    *_processes.ROUTES,
    *_clock.ROUTES,
    *_user_tasks.ROUTES,
    *_messages.ROUTES,
    *_identity.ROUTES,
    *_ext.ROUTES,
    *_batch.ROUTES,
    *_stats.ROUTES,
    *_schedules.ROUTES,
]
"""Every route, Camunda's first."""
HOT_ROUTES = [*_camunda.ROUTES, *_batch.ROUTES]
"""The per-job calls (``HotRoutes`` answers them without the router's walk)."""
