"""``sdk login | profiles | whoami | logout``: named connection profiles, and ``--profile``.

``login`` checks the credentials against the server (``GET /v2/authentication/me``) and only
then stores them (``sdk.client.ProfileStore``: a 0600 file in the user's config folder); an OAuth
login leaves its token in the profile's token cache, so the next command does not ask the
identity provider again. Secrets are read from ``--client-secret`` / ``--api-key`` (visible in
the process list), a piped stdin's first line, or a prompt that does not echo; they are never
printed back.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable

from dotenv import dotenv_values
from pydantic import SecretStr

from ..client import (
    DEFAULT_OAUTH_URL,
    DEFAULT_TOKEN_AUDIENCE,
    PROFILE_VARIABLE,
    AuthStrategy,
    Client,
    Profile,
    ProfileStore,
    Settings,
    check_profile_name,
    clear_token_cache,
)
from ..errors import ConfigurationError, NotFoundError, ProfileError, UnauthorizedError
from ..models import CamundaUserResult
from ._table import Handler

DEFAULT_PROFILE = "default"
STRATEGIES = [s.value for s in AuthStrategy]


def profile_option() -> argparse.ArgumentParser:
    """``--profile`` for subcommands; SUPPRESS keeps the one given before the command."""
    option = argparse.ArgumentParser(add_help=False)
    option.add_argument(
        "--profile",
        default=argparse.SUPPRESS,
        help=f"profile to use (default: ${PROFILE_VARIABLE})",
    )
    return option


def login_arguments(login: argparse.ArgumentParser) -> None:
    login.add_argument("--name", default=DEFAULT_PROFILE, help="profile name (default: default)")
    login.add_argument("--address", required=True, help="REST address, e.g. http://host:8080")
    login.add_argument(
        "--auth",
        type=str.upper,
        choices=STRATEGIES,
        help="NONE, BASIC, OAUTH or BEARER (default: BEARER with --api-key, OAUTH with"
        " --oauth-url, BASIC with --client-id)",
    )
    login.add_argument("--client-id", help="OAuth client id, or the BASIC user name")
    login.add_argument("--client-secret", help="secret or password (default: prompt, not echoed)")
    login.add_argument("--api-key", help="a bearer token / API key (BEARER auth)")
    login.add_argument("--oauth-url", help=f"OAuth token endpoint (default: {DEFAULT_OAUTH_URL})")
    login.add_argument("--audience", help=f"OAuth audience (default: {DEFAULT_TOKEN_AUDIENCE})")
    login.add_argument("--no-verify", action="store_true", help="store without asking the server")


def logout_arguments(logout: argparse.ArgumentParser) -> None:
    logout.add_argument("name", nargs="?", help="profile to remove (default: the selected one)")


def selected(args: argparse.Namespace) -> str | None:
    """The profile chosen by ``--profile``, else by ``SDK_PROFILE`` (environment, ``.env``)."""
    chosen = getattr(args, "profile", None) or os.environ.get(PROFILE_VARIABLE)
    return chosen or dotenv_values(".env").get(PROFILE_VARIABLE) or None


def configuration(args: argparse.Namespace) -> dict[str, str]:
    """Explicit settings of this run: only the profile name (``--profile`` beats the variable)."""
    name = getattr(args, "profile", None)
    return {PROFILE_VARIABLE: check_profile_name(name)} if name else {}


def with_client(command: Callable[[Client, argparse.Namespace], None]) -> Handler:
    """A handler that runs ``command`` with a client of the selected profile's settings."""

    def handler(args: argparse.Namespace) -> int:
        with Client(Settings.load(configuration(args))) as client:
            command(client, args)
        return 0

    return handler


def login(args: argparse.Namespace) -> int:
    return _login(ProfileStore(), args)


def profiles(args: argparse.Namespace) -> int:
    return _list(ProfileStore(), selected(args))


def whoami(args: argparse.Namespace) -> int:
    return _whoami(Settings.load(configuration(args)))


def logout(args: argparse.Namespace) -> int:
    return _logout(ProfileStore(), args.name or selected(args))


def _secret(args: argparse.Namespace, auth: str) -> str:
    """From ``--client-secret``, else a piped stdin's first line, else a prompt without echo."""
    if args.client_secret or args.api_key:
        return str(args.client_secret or args.api_key)
    what = {"BASIC": "password", "BEARER": "API key"}.get(auth, "client secret")
    try:
        if sys.stdin is not None and not sys.stdin.isatty():
            secret = sys.stdin.readline().rstrip("\r\n")  # `... | python -m sdk login`
        else:
            secret = getpass.getpass(f"{what} for {args.client_id or args.address}: ")
    except (EOFError, KeyboardInterrupt):
        secret = ""
    if not secret:
        raise ConfigurationError(
            f"login needs the {what}: {'--api-key' if auth == 'BEARER' else '--client-secret'},"
            " the prompt, or a line on stdin"
        )
    return secret


def _inferred_auth(args: argparse.Namespace) -> str:
    if args.api_key:
        return "BEARER"
    return "OAUTH" if args.oauth_url else "BASIC" if args.client_id else "NONE"


def _profile(args: argparse.Namespace) -> Profile:
    auth = args.auth or _inferred_auth(args)
    if auth == "NONE":
        return Profile(check_profile_name(args.name), args.address)
    if auth == "BEARER":
        return Profile(
            check_profile_name(args.name), args.address, auth, secret=SecretStr(_secret(args, auth))
        )
    if not args.client_id:
        what = "the user name" if auth == "BASIC" else "the OAuth client id"
        raise ConfigurationError(f"{auth} login needs --client-id ({what})")
    oauth = auth == "OAUTH"
    return Profile(
        check_profile_name(args.name),
        args.address,
        auth,
        args.client_id,
        SecretStr(_secret(args, auth)),
        args.oauth_url if oauth else None,
        args.audience if oauth else None,
    )


def _identify(client: Client) -> CamundaUserResult | None:
    """Whom the client authenticates as; ``None``: accepted by a server that does not say."""
    try:
        return client.current_user()
    except NotFoundError:
        client.topology()  # an older server: at least the credentials were accepted
        return None


def _describe(who: CamundaUserResult | None, settings: Settings) -> str:
    where = f"{settings.resolved_auth().value} at {settings.base_url}"
    if who is None:
        return f"credentials accepted ({where}); the server does not say whom they name"
    if who.is_anonymous or who.username is None:
        return f"anonymous: {settings.base_url} accepts requests without credentials"
    return f"{who.username} ({where})"


def _own_settings(profile: Profile, store: ProfileStore) -> Settings:
    """Exactly ``profile``'s values over the defaults (no selected profile fills the rest)."""
    return Settings.load({**profile.settings(store.folder), PROFILE_VARIABLE: None})


def _login(store: ProfileStore, args: argparse.Namespace) -> int:
    profile = _profile(args)
    settings = _own_settings(profile, store)
    clear_token_cache(settings)  # a token cached by an earlier login would not test this secret
    if not args.no_verify:
        with Client(settings) as client:
            try:
                who = _identify(client)
            except UnauthorizedError as exc:
                print(
                    f"error: {settings.base_url} did not accept the credentials for profile"
                    f" {profile.name!r} ({exc.detail}); nothing was saved",
                    file=sys.stderr,
                )
                return 1
        print(f"authenticated as {_describe(who, settings)}")
    store.save(profile)
    print(f"saved profile {profile.name!r} in {store.path}")
    print(f"use it with: python -m sdk --profile {profile.name} ... (or {PROFILE_VARIABLE})")
    return 0


def _list(store: ProfileStore, current: str | None) -> int:
    profiles = store.load()
    if not profiles:
        print(f"no profiles in {store.path}; create one with: python -m sdk login")
        return 0
    rows = [("", "NAME", "AUTH", "CLIENT ID", "ADDRESS")]
    for name, p in sorted(profiles.items()):
        rows.append(("*" if name == current else "", name, p.auth, p.client_id or "-", p.address))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    return 0


def _whoami(settings: Settings) -> int:
    profile = f" (profile {settings.profile!r})" if settings.profile else ""
    with Client(settings) as client:
        try:
            who = _identify(client)
        except UnauthorizedError as exc:
            strategy = settings.resolved_auth()
            what = (
                "requires credentials and none are set"
                if strategy is AuthStrategy.NONE
                else f"rejected the {strategy.value} credentials"
            )
            print(
                f"not authenticated{profile}: {settings.base_url} {what} ({exc.detail})",
                file=sys.stderr,
            )
            return 1
    print(_describe(who, settings) + profile)
    return 0


def _logout(store: ProfileStore, name: str | None) -> int:
    if not name:
        raise ProfileError(
            f"name the profile to remove: python -m sdk logout NAME (or {PROFILE_VARIABLE})"
        )
    profile = store.remove(name)
    clear_token_cache(_own_settings(profile, store))
    print(f"removed profile {name!r} from {store.path}")
    return 0
