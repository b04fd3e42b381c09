"""GET /v2/authentication/me: whom the caller's credentials authenticate as (Camunda's shape)."""

from __future__ import annotations

from pydantic import Field

from ._base import ResponseModel


class TenantResult(ResponseModel):
    tenant_id: str = ""
    name: str | None = None
    description: str | None = None


class CamundaUserResult(ResponseModel):
    """The authenticated caller; ``username`` is ``None`` for an anonymous one."""

    username: str | None = None
    display_name: str | None = None
    email: str | None = None
    authorized_components: list[str] = Field(default_factory=list)
    tenants: list[TenantResult] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    sales_plan_type: str | None = None
    c8_links: dict[str, str] = Field(default_factory=dict)
    can_logout: bool = False
    is_anonymous: bool = False
