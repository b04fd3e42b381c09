"""Settings come from ``.env`` < environment < explicit configuration, with clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sdk.client import AuthStrategy, Settings
from sdk.errors import ConfigurationError


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run in an empty folder with no CAMUNDA_* / SDK_* variables of the machine."""
    for name in list(os.environ):
        if name.startswith(("CAMUNDA_", "SDK_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


class TestPrecedence:
    def test_defaults_with_nothing_configured(self) -> None:
        settings = Settings.load()
        assert settings.rest_address is None
        assert settings.base_url == "http://localhost:8080/v2"
        assert settings.resolved_auth() is AuthStrategy.NONE

    def test_dotenv_is_read(self, isolated: Path) -> None:
        (isolated / ".env").write_text("CAMUNDA_REST_ADDRESS=http://from-dotenv:1\n")
        assert Settings.load().base_url == "http://from-dotenv:1/v2"

    def test_environment_beats_dotenv(
        self, isolated: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        (isolated / ".env").write_text("CAMUNDA_REST_ADDRESS=http://from-dotenv:1\n")
        monkeypatch.setenv("CAMUNDA_REST_ADDRESS", "http://from-env:2/v2/")
        assert Settings.load().base_url == "http://from-env:2/v2"

    def test_explicit_configuration_beats_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CAMUNDA_REST_ADDRESS", "http://from-env:2")
        settings = Settings.load({"CAMUNDA_REST_ADDRESS": "http://explicit:3"})
        assert settings.base_url == "http://explicit:3/v2"


class TestValidation:
    def test_unknown_explicit_key_is_named(self) -> None:
        with pytest.raises(ConfigurationError, match=r"unknown setting.*CAMUNDA_REST_ADRESS"):
            Settings.load({"CAMUNDA_REST_ADRESS": "http://typo"})

    def test_invalid_value_is_a_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError, match="CAMUNDA_AUTH_STRATEGY"):
            Settings.load({"CAMUNDA_AUTH_STRATEGY": "KERBEROS"})

    def test_auth_is_inferred_from_credentials(self) -> None:
        basic = {"CAMUNDA_BASIC_AUTH_USERNAME": "u", "CAMUNDA_BASIC_AUTH_PASSWORD": "p"}
        assert Settings.load(basic).resolved_auth() is AuthStrategy.BASIC
        oauth = {"CAMUNDA_CLIENT_ID": "id", "CAMUNDA_CLIENT_SECRET": "s"}
        assert Settings.load(oauth).resolved_auth() is AuthStrategy.OAUTH
        bearer = {"CAMUNDA_OAUTH_TOKEN": "key"}
        assert Settings.load(bearer).resolved_auth() is AuthStrategy.BEARER
        with pytest.raises(ConfigurationError, match="both OAUTH and BEARER"):
            Settings.load({**oauth, **bearer}).resolved_auth()

    def test_both_kinds_of_credentials_need_an_explicit_strategy(self) -> None:
        both = {
            "CAMUNDA_BASIC_AUTH_USERNAME": "u",
            "CAMUNDA_BASIC_AUTH_PASSWORD": "p",
            "CAMUNDA_CLIENT_ID": "id",
            "CAMUNDA_CLIENT_SECRET": "s",
        }
        with pytest.raises(ConfigurationError, match="both BASIC and OAUTH"):
            Settings.load(both).resolved_auth()
        chosen = Settings.load({**both, "CAMUNDA_AUTH_STRATEGY": "basic"})
        assert chosen.resolved_auth() is AuthStrategy.BASIC

    def test_secrets_stay_out_of_reprs(self) -> None:
        settings = Settings.load({"CAMUNDA_CLIENT_ID": "id", "CAMUNDA_CLIENT_SECRET": "hunter2"})
        assert "hunter2" not in repr(settings)
        assert "hunter2" not in str(settings)
