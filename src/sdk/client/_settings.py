"""Zero-config settings: profile < ``.env`` < environment < an explicit ``configuration``.

Variable names follow the official Camunda SDKs (``CAMUNDA_REST_ADDRESS``, ...), so one
environment configures both.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ..errors import ConfigurationError
from ._profiles import PROFILE_VARIABLE, ProfileSource
from ._transport import HttpTransport

DEFAULT_REST_ADDRESS = "http://localhost:8080/v2"
DEFAULT_OAUTH_URL = "https://login.cloud.camunda.io/oauth/token"
DEFAULT_TOKEN_AUDIENCE = "zeebe.camunda.io"


class AuthStrategy(str, Enum):
    NONE = "NONE"
    BASIC = "BASIC"
    OAUTH = "OAUTH"
    BEARER = "BEARER"
    """A static bearer token (an API key), e.g. for the embedded broker's SDK_BROKER_API_KEYS."""


class Settings(BaseSettings):
    """Connection settings of a client. Every field is read from the variable in its alias."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    rest_address: str | None = Field(
        default=None,
        validation_alias="CAMUNDA_REST_ADDRESS",
        description="REST base URL; `/v2` is appended when missing. Unset: the worker starts the"
        f" embedded broker; clients use `{DEFAULT_REST_ADDRESS}`.",
    )
    auth_strategy: AuthStrategy | None = Field(
        default=None,
        validation_alias="CAMUNDA_AUTH_STRATEGY",
        description="`NONE`, `BASIC`, `OAUTH` or `BEARER`; inferred from the credentials given"
        " when unset (two kinds given: an error).",
        json_schema_extra={"doc_default": "inferred"},
    )
    basic_auth_username: str | None = Field(
        default=None,
        validation_alias="CAMUNDA_BASIC_AUTH_USERNAME",
        description="User name for BASIC auth.",
    )
    basic_auth_password: SecretStr | None = Field(
        default=None,
        validation_alias="CAMUNDA_BASIC_AUTH_PASSWORD",
        description="Password for BASIC auth.",
    )
    client_id: str | None = Field(
        default=None,
        validation_alias="CAMUNDA_CLIENT_ID",
        description="OAuth client id (client credentials grant).",
    )
    client_secret: SecretStr | None = Field(
        default=None, validation_alias="CAMUNDA_CLIENT_SECRET", description="OAuth client secret."
    )
    oauth_token: SecretStr | None = Field(
        default=None,
        validation_alias="CAMUNDA_OAUTH_TOKEN",
        description="A static bearer token (an API key) for `BEARER` auth, sent as it is and"
        " never renewed.",
    )
    oauth_url: str = Field(
        default=DEFAULT_OAUTH_URL,
        validation_alias="CAMUNDA_OAUTH_URL",
        description="OAuth token endpoint (the embedded broker's is `/oauth/token`).",
    )
    token_audience: str = Field(
        default=DEFAULT_TOKEN_AUDIENCE,
        validation_alias="CAMUNDA_TOKEN_AUDIENCE",
        description="Audience asked for in OAuth token requests.",
    )
    token_cache_dir: Path | None = Field(
        default=None,
        validation_alias="CAMUNDA_TOKEN_CACHE_DIR",
        description="Folder where OAuth tokens are cached between processes (files mode 0600);"
        " unset: memory only.",
    )
    http_timeout_s: float = Field(
        default=10.0,
        gt=0,
        validation_alias="SDK_HTTP_TIMEOUT_S",
        description="Timeout of one request in seconds (long polls add their own wait).",
    )
    http_retries: int = Field(
        default=3,
        ge=0,
        le=100,
        validation_alias="SDK_HTTP_RETRIES",
        description="Repeats of a request that failed for a passing reason (connection refused,"
        " 429, 503; reads also on 502, 504, broken connections); 0: off.",
    )
    http_transport: HttpTransport = Field(
        default=HttpTransport.AUTO,
        validation_alias="SDK_HTTP_TRANSPORT",
        description="`auto` (aiohttp when the optional `httpx-aiohttp` is installed, else"
        " httpx), `httpx` or `aiohttp`: what carries the async client's requests.",
    )
    http_retry_max_delay_s: float = Field(
        default=5.0,
        ge=0,
        validation_alias="SDK_HTTP_RETRY_MAX_DELAY_S",
        description="Longest wait before one repeat in seconds; a longer `Retry-After` is not"
        " waited for (the error is raised with `retry_after_s`).",
    )

    profile: str | None = Field(
        default=None,
        validation_alias=PROFILE_VARIABLE,
        description="Name of a profile stored by `python -m sdk login` (`--profile`); it fills"
        " only the settings that the configuration, the environment and `.env` leave unset.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The profile comes last: it reads its name from the sources before it."""
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            file_secret_settings,
            ProfileSource(settings_cls),
        )

    @field_validator("rest_address")
    @classmethod
    def _no_credentials_in_address(cls, value: str | None) -> str | None:
        """``http://user:pass@host`` would put the password into every error and log line."""
        if value is not None and "@" in urlsplit(value).netloc:
            raise ValueError(
                "the address must not contain credentials (user:password@); set"
                " CAMUNDA_BASIC_AUTH_USERNAME and CAMUNDA_BASIC_AUTH_PASSWORD instead"
            )
        return value

    @field_validator("auth_strategy", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def load(cls, configuration: Mapping[str, Any] | None = None) -> Settings:
        """Read the selected profile, ``.env`` and the environment, then apply
        ``configuration`` on top (each fills only what the ones after it leave unset).

        Raises:
            ConfigurationError: an unknown key in ``configuration`` or an invalid value;
                ``ProfileError`` when the selected profile is unknown or its file unreadable.
        """
        explicit = dict(configuration or {})
        known = {f.validation_alias for f in cls.model_fields.values()} | set(cls.model_fields)
        unknown = sorted(k for k in explicit if k not in known)
        if unknown:
            raise ConfigurationError(
                f"unknown setting(s) {', '.join(unknown)};"
                f" known: {', '.join(sorted(map(str, known)))}"
            )
        try:
            return cls(**explicit)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False)
            )
            raise ConfigurationError(f"invalid settings: {problems}") from None

    @property
    def base_url(self) -> str:
        """The REST base URL, always ending in ``/v2`` (as the official SDK normalises it)."""
        address = (self.rest_address or DEFAULT_REST_ADDRESS).rstrip("/")
        return address if address.endswith("/v2") else f"{address}/v2"

    def resolved_auth(self) -> AuthStrategy:
        """The auth strategy, inferred from the credentials when not set explicitly."""
        if self.auth_strategy is not None:
            return self.auth_strategy
        given = [
            strategy
            for strategy, values in (
                (AuthStrategy.BASIC, (self.basic_auth_username, self.basic_auth_password)),
                (AuthStrategy.OAUTH, (self.client_id, self.client_secret)),
                (AuthStrategy.BEARER, (self.oauth_token,)),
            )
            if any(v is not None for v in values)
        ]
        if len(given) > 1:
            raise ConfigurationError(
                f"both {' and '.join(s.value for s in given)} credentials are set;"
                " set CAMUNDA_AUTH_STRATEGY to choose"
            )
        return given[0] if given else AuthStrategy.NONE
