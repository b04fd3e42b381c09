"""GET /v2/topology: the cluster's shape and version (our broker presents itself as one node)."""

from __future__ import annotations

from pydantic import Field

from ._base import ResponseModel


class Partition(ResponseModel):
    partition_id: int
    role: str = "leader"
    health: str = "healthy"
    state: str = "active"


class BrokerInfo(ResponseModel):
    node_id: int = 0
    broker_id: str = "0"
    host: str = ""
    port: int = 0
    partitions: list[Partition] = Field(default_factory=list)
    version: str = ""


class TopologyResponse(ResponseModel):
    brokers: list[BrokerInfo] = Field(default_factory=list)
    cluster_id: str | None = None
    cluster_size: int = 1
    partitions_count: int = 1
    replication_factor: int = 1
    gateway_version: str = ""
    last_completed_change_id: str = ""
