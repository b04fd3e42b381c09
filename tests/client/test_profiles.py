"""Stored profiles: the 0600 file, and their place in the settings' precedence (last)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from sdk.client import AuthStrategy, Profile, ProfileStore, Settings, check_profile_name
from sdk.errors import ProfileError

ADDRESS = "http://profile-host:8080"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ProfileStore:
    """A store in a fresh config folder; the working directory has no ``.env``."""
    monkeypatch.setenv("SDK_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SDK_PROFILE", "CAMUNDA_REST_ADDRESS", "CAMUNDA_BASIC_AUTH_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return ProfileStore()


def basic_profile(name: str = "dev", user: str = "ada") -> Profile:
    return Profile(name, ADDRESS, "BASIC", user, SecretStr(f"pw-of-{user}"))


class TestTheFile:
    def test_it_is_written_with_mode_0600_in_a_0700_folder(self, store: ProfileStore) -> None:
        store.save(basic_profile())
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
        assert [p.name for p in store.folder.iterdir()] == ["profiles.json"]  # no temp left

    def test_profiles_round_trip_and_replace_by_name(self, store: ProfileStore) -> None:
        store.save(basic_profile("a"))
        store.save(Profile("b", ADDRESS, "OAUTH", "app", SecretStr("s"), "http://idp/t", "aud"))
        store.save(basic_profile("a", user="bob"))
        loaded = ProfileStore().load()
        assert sorted(loaded) == ["a", "b"]
        assert loaded["a"].client_id == "bob"
        assert loaded["a"].secret is not None
        assert loaded["a"].secret.get_secret_value() == "pw-of-bob"
        assert loaded["b"] == store.get("b")

    def test_no_file_means_no_profiles(self, store: ProfileStore) -> None:
        assert store.load() == {}

    def test_remove_deletes_only_that_profile(self, store: ProfileStore) -> None:
        store.save(basic_profile("a"))
        store.save(basic_profile("b"))
        assert store.remove("a").name == "a"
        assert sorted(store.load()) == ["b"]

    def test_a_secret_never_shows_in_a_repr(self, store: ProfileStore) -> None:
        assert "pw-of-ada" not in repr(basic_profile())

    @pytest.mark.parametrize(
        "text",
        [
            "{not json",
            "[]",
            '{"profiles": []}',
            '{"profiles": {"x": {"auth": "BASIC"}}}',
            '{"profiles": {"x": {"address": "http://h", "auth": "KERBEROS"}}}',
            '{"profiles": {"x": {"address": "http://h", "secret": 42}}}',
        ],
        ids=["syntax", "not-object", "profiles-not-object", "no-address", "bad-auth", "number"],
    )
    def test_a_corrupt_file_is_an_error_naming_it(self, store: ProfileStore, text: str) -> None:
        store.folder.mkdir(parents=True)
        store.path.write_text(text, encoding="utf-8")
        with pytest.raises(ProfileError, match="corrupt") as caught:
            store.load()
        assert str(store.path) in str(caught.value)

    @pytest.mark.parametrize("name", ["", "a b", "-x", "../up", "x" * 65])
    def test_bad_names_are_refused(self, name: str) -> None:
        with pytest.raises(ProfileError, match="invalid profile name"):
            check_profile_name(name)


class TestPrecedence:
    def test_a_selected_profile_fills_the_settings(self, store: ProfileStore) -> None:
        store.save(basic_profile())
        settings = Settings.load({"SDK_PROFILE": "dev"})
        assert settings.base_url == f"{ADDRESS}/v2"
        assert settings.resolved_auth() is AuthStrategy.BASIC
        assert settings.basic_auth_username == "ada"

    def test_without_a_selection_no_profile_is_read(self, store: ProfileStore) -> None:
        store.save(basic_profile())
        assert Settings.load().rest_address is None

    def test_dotenv_beats_the_profile_and_may_select_it(self, store: ProfileStore) -> None:
        store.save(basic_profile())
        Path(".env").write_text("SDK_PROFILE=dev\nCAMUNDA_BASIC_AUTH_USERNAME=from-dotenv\n")
        settings = Settings.load()
        assert (settings.basic_auth_username, settings.rest_address) == ("from-dotenv", ADDRESS)

    def test_environment_beats_dotenv_and_the_profile(
        self, store: ProfileStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store.save(basic_profile())
        Path(".env").write_text("CAMUNDA_BASIC_AUTH_USERNAME=from-dotenv\n")
        monkeypatch.setenv("SDK_PROFILE", "dev")
        monkeypatch.setenv("CAMUNDA_BASIC_AUTH_USERNAME", "from-env")
        assert Settings.load().basic_auth_username == "from-env"

    def test_explicit_configuration_beats_everything(
        self, store: ProfileStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store.save(basic_profile("dev"))
        store.save(basic_profile("other", user="bob"))
        monkeypatch.setenv("SDK_PROFILE", "dev")
        monkeypatch.setenv("CAMUNDA_REST_ADDRESS", "http://from-env")
        settings = Settings.load({"SDK_PROFILE": "other", "CAMUNDA_REST_ADDRESS": "http://x"})
        assert (settings.profile, settings.basic_auth_username) == ("other", "bob")
        assert settings.rest_address == "http://x"

    def test_an_oauth_profile_caches_tokens_in_the_config_folder(self, store: ProfileStore) -> None:
        store.save(Profile("o", ADDRESS, "OAUTH", "app", SecretStr("s"), "http://idp/t"))
        settings = Settings.load({"SDK_PROFILE": "o"})
        assert settings.token_cache_dir == store.folder / "tokens"
        assert settings.oauth_url == "http://idp/t"
        assert settings.token_audience == "zeebe.camunda.io"  # not stored: the default


class TestBadSelections:
    def test_an_unknown_profile_is_an_error_naming_it_and_the_known_ones(
        self, store: ProfileStore
    ) -> None:
        store.save(basic_profile("dev"))
        with pytest.raises(ProfileError, match=r"no profile 'prod' in .*\(known: dev\)"):
            Settings.load({"SDK_PROFILE": "prod"})

    def test_a_corrupt_file_is_an_error_when_a_profile_is_selected(
        self, store: ProfileStore
    ) -> None:
        store.folder.mkdir(parents=True)
        store.path.write_text(json.dumps({"profiles": {"dev": 3}}), encoding="utf-8")
        with pytest.raises(ProfileError, match="corrupt"):
            Settings.load({"SDK_PROFILE": "dev"})
