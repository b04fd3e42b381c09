"""The call behind ``whoami``: ``GET /v2/authentication/me`` (Camunda 8 and the sdk broker)."""

from __future__ import annotations

from ..models import CamundaUserResult
from ._calls import Call

ME_PATH = "/authentication/me"


def current_user() -> Call[CamundaUserResult]:
    """Whom the client's credentials authenticate as; 401 when the server rejects them."""
    return Call(
        "GET",
        ME_PATH,
        lambda r: CamundaUserResult.model_validate_json(r.content),
        idempotent=True,
    )
