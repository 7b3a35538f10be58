"""Builds: source upload → content hash → environment → import check in a real worker.

A build is addressed by the content hash of its source tree, so deploying the same folder
twice is the same build, and ``/v1/algo/owner/name/<hash>`` calls exactly that code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import yaml

from modelport.core.manifest import Manifest
from modelport.core.model import Algorithm, Build, BuildStatus
from modelport.core.ports import Blobs, Deployment, Environments, Runner, Store
from modelport.core.sources import tree_hash
from modelport.errors import BuildNotFound, InvalidInput, ModelportError
from modelport.services.requirements import requirements_of
from modelport.services.sources import read_archive, write_tree

MANIFEST = "modelport.yaml"
MAX_README = 64 * 2**10


def source_key(sha: str) -> str:
    return f"sources/{sha}.tar.gz"


def load_manifest(source_dir: Path) -> Manifest:
    path = source_dir / MANIFEST
    if not path.is_file():
        raise InvalidInput(f"no {MANIFEST} at the top of the source folder")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{MANIFEST} is not valid YAML: {exc}") from None
    return Manifest.from_mapping(data)


class Builds:
    def __init__(
        self,
        store: Store,
        blobs: Blobs,
        envs: Environments,
        runner: Runner,
        *,
        workdir: Path,
        max_source_bytes: int = 200 * 2**20,
        allow_network: bool = True,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store, self._blobs, self._envs, self._runner = store, blobs, envs, runner
        self._workdir = workdir
        self._max_source = max_source_bytes
        self._allow_network = allow_network  # whether a build may ask for network: full
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="build")
        self._deployments: dict[str, Deployment] = {}
        self._lock = threading.Lock()

    def upload(self, algorithm: Algorithm, archive: bytes) -> Build:
        """Record the source and return its build: existing if already built, else new."""
        files = read_archive(archive, max_bytes=self._max_source)
        sha = tree_hash(files)
        existing = self._store.build(algorithm.id, sha)
        if existing is not None and existing.status != BuildStatus.FAILED:
            return existing
        self._blobs.put(source_key(sha), archive)
        write_tree(files, self._source_dir(algorithm, sha))
        build = Build(algorithm.id, sha, BuildStatus.IN_PROGRESS, {}, self._clock())
        self._store.put_build(build)
        return build

    def submit(self, algorithm: Algorithm, sha: str) -> Future[Build]:
        """Run the build in the background."""
        return self._executor.submit(self.run, algorithm, sha)

    def run(self, algorithm: Algorithm, sha: str) -> Build:
        """Build (blocking): manifest, environment, import check. Never raises for user errors."""
        build = self.get(algorithm, sha)
        lines: list[str] = []

        def log(line: str) -> None:
            lines.append(line)

        source = self._source_dir(algorithm, sha)
        status, manifest, env_hash = BuildStatus.FAILED, build.manifest, None
        try:
            self._ensure_source(source, sha)
            parsed = load_manifest(source)
            manifest = _manifest_record(parsed, source)
            log(f"manifest: {parsed.name}, entrypoint {parsed.entrypoint}")
            if parsed.network == "full" and not self._allow_network:
                raise InvalidInput(
                    "network: full is not allowed on this server (MODELPORT_ALLOW_NETWORK is"
                    " off): use network: isolated, which still reaches data:// files and other"
                    " algorithms"
                )
            requirements = requirements_of(parsed, source)
            env_hash = self._envs.key(parsed.python, requirements)
            python = self._envs.ensure(parsed.python, requirements, log)
            deployment = Deployment(self._key(algorithm, sha), python, source, parsed)
            check = self._runner.check(deployment)
            log(check.log)
            if check.ok:
                status = BuildStatus.SUCCEEDED
                log("build succeeded" + (" (apply_batch found)" if check.batchable else ""))
            else:
                log("build failed: the entrypoint did not import")
        except ModelportError as exc:
            log(f"build failed: {exc.message}")
        except Exception as exc:  # a build must end recorded, whatever broke
            log(f"build failed: internal error: {exc!r}")
        done = replace(
            build,
            status=status,
            manifest=manifest,
            env_hash=env_hash,
            logs="\n".join(line for line in lines if line),
            finished_at=self._clock(),
        )
        self._store.put_build(done)
        return done

    def get(self, algorithm: Algorithm, sha: str) -> Build:
        build = self._store.build(algorithm.id, sha)
        if build is None:
            raise BuildNotFound(f"no build {sha} of algo://{algorithm.owner}/{algorithm.name}")
        return build

    def recent(self, algorithm: Algorithm) -> list[Build]:
        """Newest first."""
        return self._store.builds(algorithm.id)

    def deployment(self, algorithm: Algorithm, build: Build) -> Deployment:
        """What the runner needs for a successful build (blocking the first time)."""
        key = self._key(algorithm, build.commit_sha)
        with self._lock:
            found = self._deployments.get(key)
        if found is not None:
            return found
        source = self._source_dir(algorithm, build.commit_sha)
        self._ensure_source(source, build.commit_sha)
        manifest = load_manifest(source)
        python = self._envs.ensure(
            manifest.python, requirements_of(manifest, source), lambda _: None
        )
        deployment = Deployment(key, python, source, manifest, build.commit_sha)
        with self._lock:
            self._deployments[key] = deployment
        return deployment

    def fail_interrupted(self) -> None:
        """Builds left in progress by a stopped server are failed, with a reason."""
        for algorithm in self._store.algorithms():
            for build in self._store.builds(algorithm.id):
                if build.status == BuildStatus.IN_PROGRESS:
                    self._store.put_build(
                        replace(
                            build,
                            status=BuildStatus.FAILED,
                            logs=build.logs
                            + "\nbuild interrupted by a server restart; deploy again",
                            finished_at=self._clock(),
                        )
                    )

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _key(self, algorithm: Algorithm, sha: str) -> str:
        return f"{algorithm.owner}/{algorithm.name}@{sha}"

    def _source_dir(self, algorithm: Algorithm, sha: str) -> Path:
        return self._workdir / algorithm.id / sha

    def _ensure_source(self, source: Path, sha: str) -> None:
        if not source.exists():  # another node built it, or the cache was cleared
            files = read_archive(self._blobs.get(source_key(sha)), max_bytes=self._max_source)
            write_tree(files, source)


def _readme(source: Path) -> str | None:
    """The source tree's README.md (its first 64 KiB), shown on the algorithm's web page."""
    path = source / "README.md"
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return handle.read(MAX_README).decode("utf-8", errors="replace")


def _manifest_record(manifest: Manifest, source: Path) -> dict[str, object]:
    return {
        "name": manifest.name,
        "entrypoint": manifest.entrypoint,
        "description": manifest.description,
        "python": manifest.python,
        "timeout": manifest.timeout,
        "memory": manifest.memory,
        "replicas": manifest.replicas,
        "network": manifest.network,
        "has_sample": manifest.has_sample,
        "sample_input": manifest.sample_input,
        "sample_output": manifest.sample_output,
        "input": manifest.input,
        "output": manifest.output,
        "readme": _readme(source),
    }
