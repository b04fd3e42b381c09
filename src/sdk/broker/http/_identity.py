"""``GET /v2/authentication/me``: whom the caller's credentials authenticate as.

Camunda 8 answers this with a ``CamundaUserResult``; the broker answers the same shape for
the principal ``AuthMiddleware`` recorded, so ``python -m sdk whoami`` works against both. It is
a Camunda route outside the trimmed job spec, hence its own module. An open broker (no auth)
answers an anonymous caller.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...models import CamundaUserResult
from ..auth import Principal

ME_PATH = "/v2/authentication/me"
VIEWER_ROLE, OPERATOR_ROLE = "viewer", "operator"
"""Roles answered for read-only and for full principals."""


def user_result(principal: Principal | None) -> CamundaUserResult:
    """The Camunda answer for ``principal``; ``None`` (no auth configured): anonymous."""
    if principal is None:
        return CamundaUserResult(is_anonymous=True)
    return CamundaUserResult(
        username=principal.name,
        display_name=principal.name,
        roles=[VIEWER_ROLE if principal.read_only else OPERATOR_ROLE],
        groups=[principal.kind],
    )


async def me(request: Request) -> Response:
    principal = request.scope.get("state", {}).get("principal")
    body = user_result(principal if isinstance(principal, Principal) else None)
    return Response(body.to_wire(), media_type="application/json")


ROUTES = [Route(ME_PATH, me, methods=["GET"])]
