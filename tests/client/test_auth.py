"""Auth strategies against a real broker that requires credentials: NONE, BASIC and OAUTH."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import anyio
import pytest
from pydantic import SecretStr

from sdk.client import AsyncClient, Client, Settings
from sdk.client._oauth import OAuthClientCredentials
from sdk.errors import ConfigurationError, ForbiddenError, ServerUnreachableError, UnauthorizedError
from sdk.models import JobState

from .conftest import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    VIEWER,
    VIEWER_PASSWORD,
    Logs,
    SecuredBroker,
)
from _support.clocks import FakeClock

pytestmark = pytest.mark.anyio

WRONG_SECRET = "not-the-secret-2d9f"


def oauth_flow(
    secured: SecuredBroker, clock: FakeClock[float] | None = None
) -> OAuthClientCredentials:
    return OAuthClientCredentials(
        oauth_url=secured.token_url,
        client_id=CLIENT_ID,
        client_secret=SecretStr(CLIENT_SECRET),
        audience="sdk-broker",
        clock=clock or time.time,
    )


class TestNoneAndBasic:
    async def test_no_credentials_is_unauthorized(self, secured: SecuredBroker) -> None:
        async with AsyncClient(configuration=secured.config(CAMUNDA_AUTH_STRATEGY="NONE")) as c:
            with pytest.raises(UnauthorizedError) as caught:
                await c.topology()
        assert caught.value.status == 401
        assert caught.value.problem.title == "UNAUTHORIZED"

    async def test_basic_user_works_jobs(self, secured: SecuredBroker) -> None:
        async with AsyncClient(configuration=secured.basic()) as client:
            key = await client.create_job("basic", {"a": 1})
            (job,) = await client.activate_jobs("basic", max_jobs=1, timeout_ms=10_000)
            await client.complete_job(job.job_key)
            assert (await client.get_job(key)).state is JobState.COMPLETED

    async def test_wrong_password_is_unauthorized_and_never_shown(
        self, secured: SecuredBroker, logs: Logs
    ) -> None:
        config = secured.basic(password=WRONG_SECRET)
        async with AsyncClient(configuration=config) as client:
            with pytest.raises(UnauthorizedError) as caught:
                await client.topology()
            assert WRONG_SECRET not in repr(client.settings)
        err = caught.value
        assert "not accepted" in err.detail
        for text in (str(err), repr(err), err.problem.model_dump_json(), logs.text()):
            assert WRONG_SECRET not in text
            assert PASSWORD not in text

    async def test_viewer_may_read_but_not_change(self, secured: SecuredBroker) -> None:
        async with AsyncClient(configuration=secured.basic(VIEWER, VIEWER_PASSWORD)) as client:
            assert (await client.search_jobs()).items == []
            with pytest.raises(ForbiddenError, match="may only read"):
                await client.create_job("nope")


class TestBearer:
    async def test_an_api_key_works_jobs_and_never_shows(
        self, secured: SecuredBroker, logs: Logs
    ) -> None:
        async with AsyncClient(configuration=secured.config(CAMUNDA_OAUTH_TOKEN=API_KEY)) as c:
            key = await c.create_job("bearer")
            assert (await c.current_user()).username == "api-key"
            assert (await c.get_job(key)).type == "bearer"
            assert API_KEY not in repr(c.settings) + repr(c._http.auth)
        assert API_KEY not in logs.text()

    async def test_a_wrong_key_is_unauthorized(self, secured: SecuredBroker) -> None:
        config = secured.config(CAMUNDA_AUTH_STRATEGY="BEARER", CAMUNDA_OAUTH_TOKEN="nope-3c")
        async with AsyncClient(configuration=config) as client:
            with pytest.raises(UnauthorizedError) as caught:
                await client.topology()
        assert "nope-3c" not in str(caught.value)

    def test_bearer_without_a_token_is_a_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError, match="CAMUNDA_OAUTH_TOKEN"):
            AsyncClient(configuration={"CAMUNDA_AUTH_STRATEGY": "BEARER"})


class TestOAuth:
    async def test_token_is_fetched_lazily_once_and_reused(self, secured: SecuredBroker) -> None:
        async with AsyncClient(configuration=secured.oauth()) as client:
            assert secured.auth.tokens.issued == 0  # constructing the client asks nothing
            key = await client.create_job("oauth")
            assert secured.auth.tokens.issued == 1
            await client.get_job(key)
            await client.topology()
        assert secured.auth.tokens.issued == 1

    async def test_concurrent_requests_share_one_token_fetch(self, secured: SecuredBroker) -> None:
        flow = oauth_flow(secured)
        async with AsyncClient(configuration=secured.config(), auth=flow) as client:
            async with anyio.create_task_group() as tg:
                for _ in range(20):
                    tg.start_soon(client.topology)
        assert flow.fetches == 1
        assert secured.auth.tokens.issued == 1

    async def test_a_401_refreshes_the_token_once_and_the_call_succeeds(
        self, secured: SecuredBroker
    ) -> None:
        async with AsyncClient(configuration=secured.oauth()) as client:
            await client.topology()
            secured.auth.tokens.revoke_all()  # as a broker restart or a revocation would

            key = await client.create_job("after-refresh")

            assert (await client.get_job(key)).type == "after-refresh"
        assert secured.auth.tokens.issued == 2

    async def test_token_is_renewed_shortly_before_it_expires(self, secured: SecuredBroker) -> None:
        clock = FakeClock(1_000_000.0)
        flow = oauth_flow(secured, clock)
        lifetime_s = secured.auth.tokens.ttl_s
        async with AsyncClient(configuration=secured.config(), auth=flow) as client:
            await client.topology()
            clock.advance(lifetime_s - 31)  # just over 30 s of life left: still used
            await client.topology()
            assert flow.fetches == 1
            clock.advance(2)  # under 30 s left: renewed before the server would refuse it
            await client.topology()
        assert flow.fetches == 2

    async def test_wrong_secret_is_unauthorized_without_the_secret_anywhere(
        self, secured: SecuredBroker, logs: Logs
    ) -> None:
        async with AsyncClient(configuration=secured.oauth(secret=WRONG_SECRET)) as client:
            with pytest.raises(UnauthorizedError) as caught:
                await client.topology()
            shown = [repr(client.settings), str(client.settings), repr(client._http.auth)]
        err = caught.value
        assert err.problem.title == "OAUTH_TOKEN_REQUEST_FAILED"
        assert "invalid_client" in str(err) and CLIENT_ID in str(err)
        assert "\n" not in str(err)
        for text in [str(err), repr(err), err.problem.model_dump_json(), logs.text(), *shown]:
            assert WRONG_SECRET not in text
            assert CLIENT_SECRET not in text

    async def test_disk_cache_shares_the_token_between_clients_mode_0600(
        self, secured: SecuredBroker, tmp_path: Path
    ) -> None:
        cache = tmp_path / "tokens"
        config = secured.oauth(CAMUNDA_TOKEN_CACHE_DIR=str(cache))
        async with AsyncClient(configuration=config) as first:
            await first.topology()
        (cached,) = cache.iterdir()
        assert stat.S_IMODE(cached.stat().st_mode) == 0o600
        assert CLIENT_SECRET not in cached.read_text()

        async with AsyncClient(configuration=config) as second:
            await second.topology()  # a new process would start here: no token request
            assert secured.auth.tokens.issued == 1
            secured.auth.tokens.revoke_all()
            await second.topology()  # 401: renewed, and the cache file with it
        assert secured.auth.tokens.issued == 2
        async with AsyncClient(configuration=config) as third:
            await third.topology()
        assert secured.auth.tokens.issued == 2

    async def test_unreachable_token_endpoint_is_server_unreachable(
        self, secured: SecuredBroker
    ) -> None:
        config = secured.oauth(CAMUNDA_OAUTH_URL="http://127.0.0.1:9/oauth/token")
        async with AsyncClient(configuration=config) as client:
            with pytest.raises(
                ServerUnreachableError, match=r"POST http://127\.0\.0\.1:9/oauth/token"
            ):
                await client.topology()

    async def test_the_blocking_client_refreshes_too(self, secured: SecuredBroker) -> None:
        def scenario() -> str:
            with Client(configuration=secured.oauth()) as client:
                client.topology()
                secured.auth.tokens.revoke_all()
                key = client.create_job("sync-oauth")
                return client.get_job(key).type

        assert await anyio.to_thread.run_sync(scenario) == "sync-oauth"
        assert secured.auth.tokens.issued == 2


class TestStrategyChoice:
    def test_oauth_needs_an_id_and_a_secret(self) -> None:
        settings = Settings.load({"CAMUNDA_AUTH_STRATEGY": "OAUTH", "CAMUNDA_CLIENT_ID": "x"})
        with pytest.raises(ConfigurationError, match="CAMUNDA_CLIENT_SECRET"):
            AsyncClient(settings)

    def test_oauth_is_inferred_from_client_credentials(self) -> None:
        settings = Settings.load({"CAMUNDA_CLIENT_ID": "x", "CAMUNDA_CLIENT_SECRET": "y"})
        client = AsyncClient(settings)
        assert isinstance(client._http.auth, OAuthClientCredentials)
        assert "'y'" not in repr(client._http.auth)

    def test_both_kinds_of_credentials_are_a_configuration_error(self) -> None:
        both = {
            "CAMUNDA_BASIC_AUTH_USERNAME": "u",
            "CAMUNDA_BASIC_AUTH_PASSWORD": "p",
            "CAMUNDA_CLIENT_ID": "id",
            "CAMUNDA_CLIENT_SECRET": "s",
        }
        with pytest.raises(ConfigurationError, match="both BASIC and OAUTH"):
            AsyncClient(configuration=both)
