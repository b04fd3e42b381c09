"""``python -m sdk login | profiles | whoami | logout`` against a broker that requires auth.

Most runs call the CLI's ``main`` in a worker thread (the broker runs on this test's event
loop); the ones about exit codes, tracebacks and sharing a token across processes run it as a
real child process.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path

import anyio
import anyio.to_thread
import httpx
import pytest
from pydantic import SecretStr

from sdk._cli._profiles import _describe, _identify
from sdk.client import Client, ProfileStore, Settings

from .conftest import API_KEY, CLIENT_ID, CLIENT_SECRET, PASSWORD, USER, VIEWER, VIEWER_PASSWORD
from .conftest import SecuredBroker as Secured
from _support.cli import Cli, Run, isolate, runner

pytestmark = pytest.mark.anyio


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh config folder, and no ``CAMUNDA_*`` / ``SDK_*`` settings of the machine."""
    return isolate(monkeypatch, tmp_path)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], config: Path) -> Cli:
    return runner(capsys)


async def cli_process(config: Path, *argv: str, stdin: str = "", **env: str) -> Run:
    """``python -m sdk`` as a child process with only ``env`` set among the sdk's variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "SDK_"))}
    done = await anyio.run_process(
        [sys.executable, "-m", "sdk", *argv],
        input=stdin.encode(),
        env={**base, "SDK_CONFIG_DIR": str(config), **env},
        check=False,
    )
    return Run(done.returncode, done.stdout.decode(), done.stderr.decode())


def basic_login(secured: Secured, name: str = "dev", user: str = USER) -> list[str]:
    password = PASSWORD if user == USER else VIEWER_PASSWORD
    options = f"--name {name} --address {secured.url} --auth basic --client-id {user}"
    return ["login", *options.split(), "--client-secret", password]


def oauth_login(secured: Secured, name: str = "cloud", secret: str = CLIENT_SECRET) -> list[str]:
    options = f"--name {name} --address {secured.url} --client-id {CLIENT_ID}"
    oauth = f"--oauth-url {secured.token_url} --audience sdk-broker"
    return ["login", *options.split(), *oauth.split(), "--client-secret", secret]


class Terminal(io.StringIO):
    """A stdin that is a terminal (so login prompts instead of reading a pipe)."""

    def isatty(self) -> bool:
        return True


class TestBasicProfiles:
    async def test_login_profiles_whoami_logout(
        self, secured: Secured, cli: Cli, config: Path
    ) -> None:
        login = await cli(*basic_login(secured))
        assert login.code == 0, login.err
        assert f"authenticated as {USER} (BASIC" in login.out
        path = config / "profiles.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

        listed = await cli("profiles")
        assert listed.code == 0
        assert "dev" in listed.out and USER in listed.out and secured.url in listed.out

        whoami = await cli("--profile", "dev", "whoami")
        assert whoami.code == 0, whoami.err
        assert whoami.out.startswith(f"{USER} (BASIC at {secured.url}") and "'dev'" in whoami.out

        jobs = await cli("--profile", "dev", "jobs", "create", "via-profile")
        assert jobs.code == 0, jobs.err

        logout = await cli("logout", "dev")
        assert logout.code == 0 and "removed profile 'dev'" in logout.out
        assert ProfileStore(config).load() == {}
        for output in (login, listed, whoami, jobs, logout):
            assert PASSWORD not in output.out + output.err

    async def test_the_selected_profile_is_marked_in_the_list(
        self, secured: Secured, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert (await cli(*basic_login(secured, "a"), "--no-verify")).code == 0
        assert (await cli(*basic_login(secured, "b"), "--no-verify")).code == 0
        await anyio.Path(".env").write_text("SDK_PROFILE=a\n")
        assert [line.split()[0] for line in (await cli("profiles")).out.splitlines()] == [
            "NAME",
            "*",
            "b",
        ]
        monkeypatch.setenv("SDK_PROFILE", "b")  # the environment beats .env
        lines = (await cli("profiles")).out.splitlines()
        assert [line.split()[0] for line in lines] == ["NAME", "a", "*"]
        assert lines[2].split()[1] == "b"
        assert (await cli("logout")).out.startswith("removed profile 'b'")

    async def test_a_wrong_password_saves_nothing_and_never_shows(
        self, secured: Secured, cli: Cli, config: Path
    ) -> None:
        argv = basic_login(secured)
        argv[-1] = "wrong-pw-4e4e"
        result = await cli(*argv)
        assert result.code == 1
        assert "did not accept the credentials for profile 'dev'" in result.err
        assert "nothing was saved" in result.err
        assert "wrong-pw-4e4e" not in result.out + result.err
        assert not (config / "profiles.json").exists()

    async def test_the_secret_is_prompted_for_without_echo_when_not_given(
        self, secured: Secured, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        prompts: list[str] = []

        def getpass(prompt: str) -> str:
            prompts.append(prompt)
            return PASSWORD

        monkeypatch.setattr("getpass.getpass", getpass)
        monkeypatch.setattr("sys.stdin", Terminal())
        result = await cli(*basic_login(secured)[:-2])
        assert result.code == 0, result.err
        assert prompts == [f"password for {USER}: "]
        assert PASSWORD not in result.out + result.err

    async def test_environment_beats_the_profile_and_explicit_beats_environment(
        self, secured: Secured, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert (await cli(*basic_login(secured, "ops", USER))).code == 0
        assert (await cli(*basic_login(secured, "view", VIEWER))).code == 0
        monkeypatch.setenv("SDK_PROFILE", "ops")
        assert (await cli("whoami")).out.startswith(f"{USER} ")
        assert (await cli("--profile", "view", "whoami")).out.startswith(f"{VIEWER} ")

        monkeypatch.setenv("CAMUNDA_BASIC_AUTH_USERNAME", VIEWER)
        monkeypatch.setenv("CAMUNDA_BASIC_AUTH_PASSWORD", VIEWER_PASSWORD)
        assert (await cli("whoami")).out.startswith(f"{VIEWER} ")  # env over profile 'ops'

    async def test_whoami_with_rejected_credentials_says_why(
        self, secured: Secured, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CAMUNDA_REST_ADDRESS", secured.url)
        monkeypatch.setenv("CAMUNDA_BASIC_AUTH_USERNAME", USER)
        monkeypatch.setenv("CAMUNDA_BASIC_AUTH_PASSWORD", "nope-71a2")
        result = await cli("whoami")
        assert result.code == 1
        assert "not authenticated" in result.err and "BASIC" in result.err
        assert "nope-71a2" not in result.err

    async def test_a_piped_secret_is_read_from_stdin(self, secured: Secured, config: Path) -> None:
        argv = basic_login(secured)[:-2]
        result = await cli_process(config, *argv, stdin=f"{PASSWORD}\n")
        assert result.code == 0, result.err
        assert f"authenticated as {USER}" in result.out
        assert PASSWORD not in result.out + result.err
        assert ProfileStore(config).get("dev").secret == SecretStr(PASSWORD)

    async def test_whoami_without_credentials_says_they_are_required(
        self, secured: Secured, cli: Cli, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CAMUNDA_REST_ADDRESS", secured.url)
        result = await cli("whoami")
        assert result.code == 1
        assert "requires credentials and none are set" in result.err


def test_whoami_falls_back_to_topology_on_a_server_without_the_endpoint() -> None:
    seen: list[str] = []

    def older_camunda(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/v2/topology":
            return httpx.Response(200, json={"brokers": [], "gatewayVersion": "8.6.0"})
        return httpx.Response(404, json={"title": "NOT_FOUND", "status": 404})

    settings = Settings.load({"CAMUNDA_REST_ADDRESS": "http://old:8080", "SDK_PROFILE": None})
    with Client(settings, transport=httpx.MockTransport(older_camunda)) as client:
        assert _identify(client) is None
    assert seen == ["/v2/authentication/me", "/v2/topology"]
    assert "the server does not say whom" in _describe(None, settings)


class TestOAuthProfiles:
    async def test_login_fetches_one_token_that_later_processes_reuse(
        self, secured: Secured, cli: Cli, config: Path
    ) -> None:
        login = await cli(*oauth_login(secured))
        assert login.code == 0, login.err
        assert f"authenticated as {CLIENT_ID} (OAUTH" in login.out
        assert secured.auth.tokens.issued == 1
        tokens = list((config / "tokens").iterdir())
        assert len(tokens) == 1 and stat.S_IMODE(tokens[0].stat().st_mode) == 0o600

        whoami = await cli_process(config, "--profile", "cloud", "whoami")
        assert whoami.code == 0, whoami.err
        assert whoami.out.startswith(f"{CLIENT_ID} (OAUTH")
        assert secured.auth.tokens.issued == 1  # the child used the cached token

        assert (await cli("logout", "--profile", "cloud")).code == 0
        assert list((config / "tokens").iterdir()) == []
        for output in (login, whoami):
            assert CLIENT_SECRET not in output.out + output.err

    async def test_a_new_login_exchanges_its_own_secret_not_a_cached_token(
        self, secured: Secured, cli: Cli, config: Path
    ) -> None:
        assert (await cli(*oauth_login(secured))).code == 0
        again = await cli(*oauth_login(secured, secret="changed-secret-1d1d"))
        assert again.code == 1 and "nothing was saved" in again.err
        secret = ProfileStore(config).get("cloud").secret
        assert secret is not None and secret.get_secret_value() == CLIENT_SECRET

    async def test_a_rejected_client_secret_saves_nothing(
        self, secured: Secured, cli: Cli, config: Path
    ) -> None:
        result = await cli(*oauth_login(secured, secret="bad-secret-0f0f"))
        assert result.code == 1
        assert f"client {CLIENT_ID!r}" in result.err and "nothing was saved" in result.err
        assert "bad-secret-0f0f" not in result.err
        assert not (config / "profiles.json").exists()


@pytest.fixture
def corrupt(config: Path) -> Path:
    """A profiles file that is not JSON."""
    config.mkdir()
    path = config / "profiles.json"
    path.write_text("{oops", encoding="utf-8")
    return path


class TestBearerProfiles:
    async def test_an_api_key_profile_names_the_key_and_is_listed_without_it(
        self, secured: Secured, cli: Cli
    ) -> None:
        login = await cli("login", "--name", "key", "--address", secured.url, "--api-key", API_KEY)
        assert login.code == 0, login.err
        assert "authenticated as api-key (BEARER" in login.out
        listed = await cli("profiles")
        assert "BEARER" in listed.out and API_KEY not in listed.out
        jobs = await cli("--profile", "key", "jobs", "create", "by-key")
        assert jobs.code == 0, jobs.err
        for output in (login, listed, jobs):
            assert API_KEY not in output.out + output.err


class TestBadProfiles:
    async def test_an_unknown_profile_is_exit_2_naming_it_without_a_traceback(
        self, config: Path
    ) -> None:
        for argv in (["--profile", "nope", "whoami"], ["--profile", "nope", "jobs", "list"]):
            result = await cli_process(config, *argv)
            assert result.code == 2, result
            assert "error: no profile 'nope'" in result.err
            assert "Traceback" not in result.err
        via_env = await cli_process(config, "whoami", SDK_PROFILE="nope")
        assert via_env.code == 2 and "no profile 'nope'" in via_env.err

    async def test_a_corrupt_profiles_file_is_a_clear_error(self, corrupt: Path) -> None:
        config = corrupt.parent
        result = await cli_process(config, "profiles")
        assert result.code == 2
        assert f"the profiles file {config / 'profiles.json'} is corrupt" in result.err
        assert "Traceback" not in result.err

    async def test_logout_of_an_unknown_profile_is_exit_2(self, cli: Cli) -> None:
        result = await cli("logout", "ghost")
        assert result.code == 2 and "no profile 'ghost'" in result.err

    async def test_login_with_a_bad_name_or_without_a_client_id_is_refused(
        self, secured: Secured, cli: Cli
    ) -> None:
        bad_name = await cli(*basic_login(secured, "no/slash"))
        assert bad_name.code == 2 and "invalid profile name 'no/slash'" in bad_name.err
        no_id = await cli("login", "--address", secured.url, "--auth", "OAUTH")
        assert no_id.code == 1 and "needs --client-id" in no_id.err
