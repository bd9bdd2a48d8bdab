"""Following merged clusters, as a reader of ``claims.clusters`` does.

A claim names the cluster it joined when it was decided; when a later claim links
that cluster to another, the absorbed one is republished with ``merged_into``.
Given the latest record of each cluster, ``heir`` gives the cluster that holds a
claim now.
"""

from __future__ import annotations

from collections.abc import Mapping

from schemas.corroborate import ClaimCluster


def heir(latest: Mapping[str, ClaimCluster], cluster_id: str) -> str:
    """The live cluster ``cluster_id`` is now part of (itself if not merged, or
    if its record has not been read)."""
    seen = {cluster_id}
    while (cluster := latest.get(cluster_id)) is not None and cluster.merged_into:
        cluster_id = cluster.merged_into
        if cluster_id in seen:
            raise ValueError(f"clusters merged into each other: {sorted(seen)}")
        seen.add(cluster_id)
    return cluster_id
