"""Named connection profiles (``python -m sdk login``) and the settings source that reads them.

Profiles live in one JSON file, ``profiles.json`` in the user's config folder (platformdirs;
``SDK_CONFIG_DIR`` overrides it), written atomically with mode 0600 because it holds secrets.
A profile is only a source of defaults: ``Settings`` reads it last, after the explicit
configuration, the environment and ``.env``, and only when one is selected (``SDK_PROFILE``).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

from ..errors import ProfileError
from ._private_file import write_private

CONFIG_DIR_VARIABLE = "SDK_CONFIG_DIR"
PROFILE_VARIABLE = "SDK_PROFILE"
PROFILES_FILE = "profiles.json"
TOKEN_FOLDER = "tokens"
"""Where OAuth profiles cache their tokens, inside the config folder."""
FORMAT_VERSION = 1
STRATEGIES = ("NONE", "BASIC", "OAUTH", "BEARER")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def config_dir() -> Path:
    """The folder of the profiles file: ``SDK_CONFIG_DIR``, else the platform's config folder."""
    override = os.environ.get(CONFIG_DIR_VARIABLE)
    return Path(override).expanduser() if override else platformdirs.user_config_path("sdk")


def check_profile_name(name: str) -> str:
    """``name`` if it can name a profile (letters, digits, ``_.-``; at most 64 characters)."""
    if not _NAME.match(name):
        raise ProfileError(
            f"invalid profile name {name!r}: use letters, digits, '_', '.' and '-'"
            " (at most 64 characters, starting with a letter or digit)"
        )
    return name


@dataclass(frozen=True)
class Profile:
    """One stored connection: where, how, and who (``client_id`` is the BASIC user name;
    ``secret`` the password, the client secret or the API key)."""

    name: str
    address: str
    auth: str = "NONE"
    client_id: str | None = None
    secret: SecretStr | None = None
    oauth_url: str | None = None
    audience: str | None = None

    def settings(self, folder: Path) -> dict[str, Any]:
        """The settings this profile gives, by variable name (OAuth tokens cached on disk)."""
        values: dict[str, Any] = {"CAMUNDA_REST_ADDRESS": self.address}
        values["CAMUNDA_AUTH_STRATEGY"] = self.auth
        if self.auth == "BASIC":
            values["CAMUNDA_BASIC_AUTH_USERNAME"] = self.client_id
            values["CAMUNDA_BASIC_AUTH_PASSWORD"] = self.secret
        elif self.auth == "OAUTH":
            values["CAMUNDA_CLIENT_ID"] = self.client_id
            values["CAMUNDA_CLIENT_SECRET"] = self.secret
            values["CAMUNDA_OAUTH_URL"] = self.oauth_url
            values["CAMUNDA_TOKEN_AUDIENCE"] = self.audience
            values["CAMUNDA_TOKEN_CACHE_DIR"] = folder / TOKEN_FOLDER
        elif self.auth == "BEARER":
            values["CAMUNDA_OAUTH_TOKEN"] = self.secret
        return {k: v for k, v in values.items() if v is not None}

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "name" and v is not None}
        if self.secret is not None:
            data["secret"] = self.secret.get_secret_value()
        return data

    @classmethod
    def from_json(cls, name: str, data: Any) -> Profile:
        if not isinstance(data, dict) or not isinstance(data.get("address"), str):
            raise ValueError(f"profile {name!r} is not an object with an address")
        fields = {k: data.get(k) for k in ("auth", "client_id", "oauth_url", "audience")}
        if not all(v is None or isinstance(v, str) for v in [*fields.values(), data.get("secret")]):
            raise ValueError(f"profile {name!r} has a field that is not a string")
        if fields["auth"] not in (None, *STRATEGIES):
            raise ValueError(
                f"profile {name!r} has auth {fields['auth']!r}, not one of {STRATEGIES}"
            )
        secret = data.get("secret")
        profile = cls(name, data["address"], **{k: v for k, v in fields.items() if v is not None})
        return replace(profile, secret=SecretStr(secret) if secret is not None else None)


class ProfileStore:
    """The profiles file of ``folder`` (default: ``config_dir()``); nothing is read before use."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or config_dir()
        self.path = self.folder / PROFILES_FILE

    def load(self) -> dict[str, Profile]:
        """Every profile by name; no file yet: none.

        Raises:
            ProfileError: the file cannot be read or is not a profiles file.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ProfileError(
                f"cannot read the profiles file {self.path}: {exc.strerror}"
            ) from None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("profiles"), dict):
                raise ValueError("no 'profiles' object")
            return {n: Profile.from_json(n, p) for n, p in data["profiles"].items()}
        except ValueError as exc:
            raise ProfileError(
                f"the profiles file {self.path} is corrupt ({exc}); fix it, or delete it and"
                " log in again"
            ) from None

    def get(self, name: str) -> Profile:
        """The profile ``name``, or a ``ProfileError`` naming it and the known ones."""
        profiles = self.load()
        if name in profiles:
            return profiles[name]
        known = ", ".join(sorted(profiles)) or "none"
        raise ProfileError(
            f"no profile {name!r} in {self.path} (known: {known}); create it with"
            f" `python -m sdk login --name {name} ...`"
        )

    def save(self, profile: Profile) -> None:
        """Add or replace ``profile``."""
        profiles = self.load()
        profiles[profile.name] = profile
        self._write(profiles)

    def remove(self, name: str) -> Profile:
        """Delete the profile ``name`` and return it (a ``ProfileError`` when it is unknown)."""
        profile = self.get(name)
        profiles = self.load()
        del profiles[name]
        self._write(profiles)
        return profile

    def _write(self, profiles: dict[str, Profile]) -> None:
        """Write atomically with mode 0600 (``write_private``): it holds secrets."""
        body = json.dumps(
            {
                "version": FORMAT_VERSION,
                "profiles": {n: p.to_json() for n, p in sorted(profiles.items())},
            },
            indent=2,
        )
        try:
            write_private(self.path, body)
        except OSError as exc:
            raise ProfileError(
                f"cannot write the profiles file {self.path}: {exc.strerror}"
            ) from None


class ProfileSource(PydanticBaseSettingsSource):
    """Settings from the selected profile; placed after every other source, so it only fills
    what the explicit configuration, the environment and ``.env`` leave unset."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ answers for all fields at once

    def __call__(self) -> dict[str, Any]:
        state = self.current_state
        name = state.get(PROFILE_VARIABLE, state.get("profile"))
        if not name:
            return {}
        store = ProfileStore()
        return store.get(str(name)).settings(store.folder)
