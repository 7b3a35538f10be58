"""JSON shapes of algorithms, builds and versions, as the v1 API and its clients expect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelport.core.model import Algorithm, Build, BuildStatus, Version

SCM = {"id": "internal", "provider": "internal", "default": True, "enabled": True}


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def build_view(algorithm: Algorithm, build: Build, base_url: str) -> dict[str, Any]:
    path = f"{algorithm.owner}/{algorithm.name}"
    duration = (build.finished_at - build.started_at).total_seconds() if build.finished_at else None
    return {
        "build_id": build.commit_sha,
        "commit_sha": build.commit_sha,
        "status": build.status.value,
        "started_at": timestamp(build.started_at),
        "finished_at": timestamp(build.finished_at),
        "duration": duration,
        "resource_type": "algorithm_build",
        "algorithm": path,
        "call_url": f"{base_url}/v1/algo/{path}/{build.commit_sha}",
        "self_link": f"{base_url}/v1/algorithms/{path}/builds/{build.commit_sha}",
    }


def algorithm_view(
    algorithm: Algorithm,
    base_url: str,
    *,
    build: Build | None = None,
    version: Version | None = None,
) -> dict[str, Any]:
    """The v1 algorithm object; ``version_info`` and ``build`` once something was built."""
    view: dict[str, Any] = {
        "id": algorithm.id,
        "name": algorithm.name,
        "owner": algorithm.owner,
        "resource_type": "algorithm",
        "details": algorithm.details,
        "settings": algorithm.settings,
        "source": {"scm": SCM},
        "created_at": timestamp(algorithm.created_at),
    }
    if build is None:
        return view
    path = f"{algorithm.owner}/{algorithm.name}"
    info: dict[str, Any] = {"git_hash": build.commit_sha, "version_uuid": build.commit_sha}
    if version is not None:
        info |= {
            "semantic_version": str(version.semver),
            "release_notes": version.release_notes,
            "sample_input": version.sample_input,
            "sample_output": version.sample_output,
            "callability": version.callability.value,
            "published_at": timestamp(version.created_at),
        }
        view["settings"] = {
            **algorithm.settings,
            "algorithm_callability": version.callability.value,
        }
    view["version_info"] = info
    view["build"] = build_view(algorithm, build, base_url) | {
        "version_info": {"semantic_version": str(version.semver)} if version else {}
    }
    view["compilation"] = {
        "successful": build.status == BuildStatus.SUCCEEDED,
        "output": build.logs,
    }
    view["self_link"] = f"{base_url}/v1/algorithms/{path}/versions/{build.commit_sha}"
    view["interface"] = {
        "input": build.manifest.get("input", "json"),
        "output": build.manifest.get("output", "json"),
    }
    return view


def page(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"marker": None, "next_link": None, "results": results}
