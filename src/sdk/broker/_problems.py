"""Errors the broker answers with, rendered as RFC 7807 ``application/problem+json``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..models import ProblemDetail

PROBLEM_JSON = "application/problem+json"


class BrokerError(Exception):
    """A client-visible failure with an HTTP status, a short title and a readable detail."""

    status = 500
    title = "INTERNAL_ERROR"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidRequest(BrokerError):
    status = 400
    title = "INVALID_ARGUMENT"


class PayloadTooLarge(BrokerError):
    status = 413
    title = "PAYLOAD_TOO_LARGE"


class JobNotFound(BrokerError):
    status = 404
    title = "NOT_FOUND"


class NotFound(BrokerError):
    """No deployment, resource or process definition of that key."""

    status = 404
    title = "NOT_FOUND"


class JobInWrongState(BrokerError):
    status = 409
    title = "INVALID_STATE"


class StoreUnavailable(BrokerError):
    """The job database cannot be reached (e.g. PostgreSQL restarts): retry after a back-off.

    503 ``RESOURCE_EXHAUSTED`` is what clients already retry on every call; a write whose
    commit was cut off may or may not have happened, as with any lost answer.
    """

    status = 503
    title = "RESOURCE_EXHAUSTED"


def problem_response(request: Request, status: int, title: str, detail: str) -> Response:
    """A problem+json response with all five fields present, as Camunda sends them."""
    body = ProblemDetail(
        type="about:blank", title=title, status=status, detail=detail, instance=request.url.path
    )
    return Response(body.to_wire(), status_code=status, media_type=PROBLEM_JSON)
