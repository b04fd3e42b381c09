"""``python -m sdk.bench._offer URL RATE COUNT``: the latency scenario's job creator.

Creates ``COUNT`` jobs one per request at ``RATE`` per second (evenly spaced, an open loop:
a late request does not push the later ones back) from a process of its own, so creating
them costs the measured worker nothing, and prints one JSON list of ``[job key, commit
time]``: the commit time is the broker's ``Committed-At`` stamp (epoch seconds), on the
wall clock the worker's handlers read too.
"""

from __future__ import annotations

import json
import sys
import time

import anyio
import httpx

from ._scenarios import JOB_TYPE

COMMITTED_AT = "Committed-At"


async def offer(url: str, rate_per_s: float, count: int) -> list[tuple[str, float]]:
    committed: list[tuple[str, float]] = []
    body = json.dumps({"jobs": [{"type": JOB_TYPE}]}).encode()
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        start = time.perf_counter()
        for n in range(count):
            await anyio.sleep(max(0.0, start + n / rate_per_s - time.perf_counter()))
            response = await http.post("/ext/jobs", content=body, headers=headers)
            response.raise_for_status()
            (key,) = response.json()["jobKeys"]
            committed.append((key, float(response.headers[COMMITTED_AT])))
    return committed


def main(argv: list[str]) -> int:
    url, rate, count = argv
    print(json.dumps(anyio.run(offer, url, float(rate), int(count))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
