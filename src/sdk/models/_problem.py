"""RFC 7807 / 9457 problem details, the error body of every non-2xx answer."""

from __future__ import annotations

from ._base import ResponseModel


class ProblemDetail(ResponseModel):
    """An ``application/problem+json`` body. All five fields are always present on our server."""

    type: str = "about:blank"
    title: str = ""
    status: int = 500
    detail: str = ""
    instance: str = ""
