"""An async-first job-worker runtime for the Camunda 8 REST v2 job API.

``sdk.client`` talks to a server, ``sdk.worker`` runs handlers for jobs, ``sdk.broker`` is the
embedded job server, ``sdk.models`` and ``sdk.errors`` are shared by all three.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
