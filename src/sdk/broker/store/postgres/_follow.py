"""Hearing other replicas: ``LISTEN`` to what their commits announce (see ``_tx.py``).

A notification wakes this broker's long polls of that job type, or its event streams. Should
the listening connection drop (e.g. PostgreSQL restarts), it reconnects with a back-off and
then wakes everyone once, since notifications sent meanwhile are lost; waits are bounded
besides (``JobStore``), so a lost notification delays a job by at most that bound.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import psycopg
from loguru import logger

from ..._redact import redact_text
from .._notifier import Notifier
from ._tx import CONNECT_TIMEOUT_S, EVENTS_CHANNEL, JOBS_CHANNEL

RECONNECT_S = (0.2, 5.0)
"""First and longest pause before listening again after the connection failed."""


async def follow(url: str, origin: str, notifier: Notifier, on_change: Callable[[], None]) -> None:
    """Until cancelled: wake ``notifier``'s waiters of a job type, or call ``on_change`` (the
    log grew), for each commit of another replica on the database at ``url``."""
    pause = RECONNECT_S[0]
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(
                url,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="sdk-broker",
            )
            try:
                await conn.execute(f"LISTEN {JOBS_CHANNEL}".encode())
                await conn.execute(f"LISTEN {EVENTS_CHANNEL}".encode())
                pause = RECONNECT_S[0]
                notifier.notify_all()  # whatever happened while nobody listened
                on_change()
                async for note in conn.notifies():
                    sender, _, job_type = note.payload.partition(":")
                    if sender == origin:
                        continue  # this broker woke its own waiters already
                    if note.channel == JOBS_CHANNEL:
                        notifier.notify(job_type)
                    else:
                        on_change()
            finally:
                # Not ``async with conn``: its exit rolls back first, which may yield to a
                # busy event loop and so be cancelled at shutdown before it closes the
                # connection. Closing here, shielded, cannot be skipped.
                with anyio.CancelScope(shield=True):
                    await conn.close()
        except psycopg.OperationalError as exc:
            logger.warning(
                "broker: not hearing other replicas ({}); listening again in {:.1f}s",
                redact_text(str(exc).strip(), url),
                pause,
            )
            await anyio.sleep(pause)
            pause = min(pause * 2, RECONNECT_S[1])
