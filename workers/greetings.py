"""An ``async def`` handler: runs on the event loop (the async strategy)."""

from __future__ import annotations

import anyio

from sdk.worker import JobContext, Worker

worker = Worker()


@worker.task("greet")
async def greet(job: JobContext, name: str = "world") -> dict[str, str]:
    """Greets ``name``; the short sleep stands in for a call to another service."""
    await anyio.sleep(0.01)
    job.logger.info("greeting {}", name)
    return {"greeting": f"Hello, {name}!"}
