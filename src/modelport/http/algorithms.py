"""``/v1/algorithms/…``: create, build, publish and inspect algorithms."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from modelport.core.model import Algorithm, BuildStatus
from modelport.core.versions import Callability, SemVer, parse_bump
from modelport.errors import InvalidInput, NotFound, VersionNotFound
from modelport.http.auth import caller_of, caller_on_loop
from modelport.http.bodies import read_body, read_json
from modelport.http.views import SCM, algorithm_view, build_view, page
from modelport.services.platform import Platform
from modelport.services.principal import Principal
from modelport.services.starter import starter_archive

router = APIRouter(prefix="/v1", tags=["algorithms"])
MAX_SOURCE_UPLOAD = 200 * 2**20


def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def _manager(request: Request) -> Principal:
    """A caller whose key may change algorithms (the ``algo:manage`` scope)."""
    caller = await caller_on_loop(request)
    caller.require("algo:manage")
    return caller


def _mapping(value: object, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return value


def _latest_view(p: Platform, algorithm: Algorithm, caller: Principal) -> dict[str, Any]:
    """The algorithm at the newest version ``caller`` may see (else, for its owners, its newest
    build), with its recent calls."""
    versions = p.registry.versions(algorithm, caller)
    if versions:
        version = versions[0]
        view = algorithm_view(
            algorithm,
            p.base_url,
            version=version,
            build=p.builds.get(algorithm, version.commit_sha),
        )
    else:
        builds = p.builds.recent(algorithm) if caller.owns(algorithm.owner) else []
        view = algorithm_view(algorithm, p.base_url, build=builds[0] if builds else None)
    return view | {"stats": p.calls.recent(algorithm.owner, algorithm.name)}


@router.get("/algorithms")
def list_algorithms(request: Request) -> dict[str, Any]:
    p, caller = _platform(request), caller_of(request)
    return page([_latest_view(p, a, caller) for a in p.registry.visible(caller)])


@router.post("/algorithms/{owner}")
async def create_algorithm(owner: str, request: Request) -> dict[str, Any]:
    p, caller = _platform(request), await _manager(request)
    data = _mapping(await read_json(request, p.max_body_bytes), "the request body")
    name = data.get("name")
    if not isinstance(name, str):
        raise InvalidInput("name is required")
    algorithm = await asyncio.to_thread(
        p.registry.create,
        caller,
        owner,
        name,
        _mapping(data.get("details"), "details"),
        _mapping(data.get("settings"), "settings"),
    )
    return algorithm_view(algorithm, p.base_url)


@router.get("/algorithms/{owner}/{name}")
def get_algorithm(owner: str, name: str, request: Request) -> dict[str, Any]:
    p, caller = _platform(request), caller_of(request)
    return _latest_view(p, p.registry.get_visible(caller, owner, name), caller)


@router.put("/algorithms/{owner}/{name}")
async def update_algorithm(owner: str, name: str, request: Request) -> dict[str, Any]:
    p, caller = _platform(request), await _manager(request)
    algorithm = await asyncio.to_thread(p.registry.get_managed, caller, owner, name)
    if request.headers.get("content-type", "").startswith("application/json"):
        data = _mapping(await read_json(request, p.max_body_bytes), "the request body")
        algorithm = await asyncio.to_thread(
            p.registry.update,
            algorithm,
            _mapping(data.get("details"), "details"),
            _mapping(data.get("settings"), "settings"),
        )
    return await asyncio.to_thread(_latest_view, p, algorithm, caller)


@router.delete("/algorithms/{owner}/{name}", status_code=204)
async def delete_algorithm(owner: str, name: str, request: Request) -> Response:
    p, caller = _platform(request), await _manager(request)
    algorithm = await asyncio.to_thread(p.registry.get_managed, caller, owner, name)
    await asyncio.to_thread(p.registry.delete, algorithm)
    p.calls.forget()
    return Response(status_code=204)


@router.post("/algorithms/{owner}/{name}/builds")
async def upload_build(owner: str, name: str, request: Request, wait: bool = False) -> Response:
    """Upload the source folder as a gzip tar and build it (202 while the build runs)."""
    p, caller = _platform(request), await _manager(request)
    algorithm = await asyncio.to_thread(p.registry.get_managed, caller, owner, name)
    archive = await read_body(request, MAX_SOURCE_UPLOAD)
    build = await asyncio.to_thread(p.builds.upload, algorithm, archive)
    await asyncio.to_thread(p.registry.set_source, algorithm, build.commit_sha)
    if build.status == BuildStatus.IN_PROGRESS:
        future = p.builds.submit(algorithm, build.commit_sha)
        if wait:
            build = await asyncio.wrap_future(future)
    status = 202 if build.status == BuildStatus.IN_PROGRESS else 200
    return JSONResponse(build_view(algorithm, build, p.base_url), status)


@router.post("/algorithms/{owner}/{name}/compile")
async def compile_algorithm(owner: str, name: str, request: Request) -> dict[str, Any]:
    """Build the newest uploaded source (a starter algorithm if none was uploaded)."""
    p, caller = _platform(request), await _manager(request)
    algorithm = await asyncio.to_thread(p.registry.get_managed, caller, owner, name)
    if algorithm.source_sha is None:
        build = await asyncio.to_thread(p.builds.upload, algorithm, starter_archive(name))
        algorithm = await asyncio.to_thread(p.registry.set_source, algorithm, build.commit_sha)
    build = await asyncio.to_thread(p.builds.get, algorithm, algorithm.source_sha or "")
    if build.status != BuildStatus.SUCCEEDED:
        build = await asyncio.wrap_future(p.builds.submit(algorithm, build.commit_sha))
    return algorithm_view(algorithm, p.base_url, build=build)


@router.get("/algorithms/{owner}/{name}/builds")
def list_builds(owner: str, name: str, request: Request) -> dict[str, Any]:
    p = _platform(request)
    algorithm = p.registry.get_managed(caller_of(request), owner, name)
    return page([build_view(algorithm, b, p.base_url) for b in p.builds.recent(algorithm)])


@router.get("/algorithms/{owner}/{name}/builds/{sha}")
def get_build(owner: str, name: str, sha: str, request: Request) -> dict[str, Any]:
    p = _platform(request)
    algorithm = p.registry.get_managed(caller_of(request), owner, name)
    return build_view(algorithm, p.builds.get(algorithm, sha), p.base_url)


@router.get("/algorithms/{owner}/{name}/builds/{sha}/logs")
def get_build_logs(owner: str, name: str, sha: str, request: Request) -> dict[str, Any]:
    p = _platform(request)
    algorithm = p.registry.get_managed(caller_of(request), owner, name)
    return {"logs": p.builds.get(algorithm, sha).logs}


@router.post("/algorithms/{owner}/{name}/versions")
async def publish(owner: str, name: str, request: Request) -> dict[str, Any]:
    """Publish a build as the next semantic version, after its sample check."""
    p, caller = _platform(request), await _manager(request)
    data = _mapping(await read_json(request, p.max_body_bytes), "the request body")
    info = _mapping(data.get("version_info"), "version_info")
    settings = _mapping(data.get("settings"), "settings")
    callability = Callability(settings.get("algorithm_callability") or "private")
    build_ref = _mapping(data.get("build"), "build").get("commit_sha")
    algorithm = await asyncio.to_thread(p.registry.get_managed, caller, owner, name)
    version = await p.calls.publish(
        caller,
        algorithm,
        parse_bump(str(info.get("version_type") or "minor")),
        callability=callability,
        release_notes=str(info.get("release_notes") or ""),
        commit_sha=build_ref,
    )
    algorithm = await asyncio.to_thread(p.registry.get, owner, name)
    build = await asyncio.to_thread(p.builds.get, algorithm, version.commit_sha)
    return algorithm_view(algorithm, p.base_url, build=build, version=version)


@router.get("/algorithms/{owner}/{name}/versions")
def list_versions(owner: str, name: str, request: Request) -> dict[str, Any]:
    """Newest first; a caller who does not own the algorithm sees its public versions."""
    p, caller = _platform(request), caller_of(request)
    algorithm = p.registry.get_visible(caller, owner, name)
    return page(
        [
            algorithm_view(
                algorithm, p.base_url, version=v, build=p.builds.get(algorithm, v.commit_sha)
            )
            for v in p.registry.versions(algorithm, caller)
        ]
    )


@router.get("/algorithms/{owner}/{name}/readme")
def get_readme(owner: str, name: str, request: Request) -> Response:
    """The README.md of the newest version's source (else the newest build's), as markdown."""
    p, caller = _platform(request), caller_of(request)
    algorithm = p.registry.get_visible(caller, owner, name)
    versions = p.registry.versions(algorithm, caller)
    if versions:
        builds = [p.builds.get(algorithm, versions[0].commit_sha)]
    else:  # unpublished builds are their owners' only
        builds = p.builds.recent(algorithm)[:1] if caller.owns(owner) else []
    readme = builds[0].manifest.get("readme") if builds else None
    if not isinstance(readme, str):
        raise NotFound(f"algo://{owner}/{name} has no README.md")
    return Response(readme, media_type="text/markdown; charset=utf-8")


@router.get("/algorithms/{owner}/{name}/versions/{ref}")
def get_version(owner: str, name: str, ref: str, request: Request) -> dict[str, Any]:
    p = _platform(request)
    algorithm = p.registry.get_managed(caller_of(request), owner, name)
    for v in p.registry.versions(algorithm):
        if ref in (v.commit_sha, str(v.semver)):
            return algorithm_view(
                algorithm, p.base_url, version=v, build=p.builds.get(algorithm, v.commit_sha)
            )
    if len(ref) == 40:
        return algorithm_view(algorithm, p.base_url, build=p.builds.get(algorithm, ref))
    SemVer.parse(ref)  # a clear error for a malformed version
    raise VersionNotFound(f"no version {ref} of algo://{owner}/{name}")


@router.get("/algorithms/{owner}/{name}/scm/status")
def scm_status(owner: str, name: str, request: Request) -> dict[str, Any]:
    _platform(request).registry.get_managed(caller_of(request), owner, name)
    return {"scm_connection_status": "active"}


@router.get("/scms")
def scms(request: Request) -> dict[str, Any]:
    caller_of(request)
    return {"results": [SCM]}
