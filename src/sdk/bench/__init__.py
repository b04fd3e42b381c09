"""Benchmarks shipped with the package: ``python -m sdk.bench --help``."""

from ._run import BenchConfig as BenchConfig
from ._run import run as run

__all__ = ["BenchConfig", "run"]
