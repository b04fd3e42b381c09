"""A CPU-bound handler on the process strategy: it runs in child processes, off the GIL."""

from __future__ import annotations

from sdk.worker import Worker

worker = Worker()


@worker.task("count-primes", strategy="process")
def count_primes(limit: int) -> dict[str, int]:
    """Counts the primes below ``limit`` with a plain sieve."""
    if limit < 2:
        return {"primes": 0}
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytearray(len(range(n * n, limit, n)))
    return {"primes": sum(sieve)}
