"""The composition root: the one place that picks adapters and wires the services.

>>> from modelport.config import Settings
>>> app = create_app(Settings(home=Path("/tmp/mp-doc")))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import sys

from starlette.types import ASGIApp

from modelport.adapters.blobs.disk import DiskBlobs
from modelport.adapters.envs import UvEnvironments
from modelport.adapters.runtime.pool import LocalRunner
from modelport.adapters.store.migrate import upgrade
from modelport.adapters.store.sql import SqlStore
from modelport.config import Settings
from modelport.core.metrics import Metrics
from modelport.http.app import build_app
from modelport.services.accounts import Accounts
from modelport.services.builds import Builds
from modelport.services.calls import Calls
from modelport.services.platform import Platform
from modelport.services.registry import Registry


def create_platform(settings: Settings) -> Platform:
    """Migrate the database, open the adapters and build the services."""
    settings.home.mkdir(parents=True, exist_ok=True)
    url = settings.database_url_or_default
    upgrade(url)
    store = SqlStore(url)
    runner = LocalRunner(
        worker_idle_ttl=settings.worker_idle_ttl,
        worker_start_timeout=settings.worker_start_timeout,
        worker_threads=settings.worker_threads,
        env={"MODELPORT_API": settings.base_url, "ALGORITHMIA_API": settings.base_url},
        log_dir=settings.home / "logs",
    )
    envs = UvEnvironments(
        settings.envs_path, default_python=settings.python, find_links=settings.find_links
    )
    registry = Registry(store)
    builds = Builds(
        store, DiskBlobs(settings.blobs_path), envs, runner, workdir=settings.builds_path
    )
    builds.fail_interrupted()
    metrics = Metrics()
    metrics.gauge(
        "modelport_workers",
        "Worker processes by state",
        lambda: {(("state", state),): float(n) for state, n in runner.workers().items()},
    )
    return Platform(
        store=store,
        runner=runner,
        accounts=Accounts(store, cache_ttl=settings.cache_ttl),
        registry=registry,
        builds=builds,
        calls=Calls(
            registry,
            builds,
            runner,
            metrics,
            cache_ttl=settings.cache_ttl,
            max_timeout=settings.max_timeout,
        ),
        metrics=metrics,
        base_url=settings.base_url,
        max_body_bytes=settings.max_body_bytes,
        default_timeout=settings.default_timeout,
        max_timeout=settings.max_timeout,
    )


def create_app(settings: Settings) -> ASGIApp:
    return build_app(create_platform(settings))


def bootstrap(settings: Settings, platform: Platform) -> str | None:
    """First start: create the admin account and key, and save them for the CLI (mode 600)."""
    key = platform.accounts.bootstrap_admin(settings.admin_user)
    if key is None:
        return None
    path = settings.credentials_path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(
            {"api_address": settings.base_url, "api_key": key, "user": settings.admin_user}, out
        )
    return key


def serve(settings: Settings, *, examples: bool = True) -> None:
    """``modelport serve``: bootstrap, deploy the examples in the background, then serve."""
    from modelport.http.server import run
    from modelport.services.examples import deploy_examples

    logger = logging.getLogger("modelport")
    logger.addHandler(logging.StreamHandler(sys.stderr))
    logger.setLevel(logging.INFO)
    platform = create_platform(settings)
    key = bootstrap(settings, platform)
    if key is not None:
        print(
            f"created admin account {settings.admin_user!r}; API key (shown once): {key}",
            file=sys.stderr,
        )
        print(f"saved to {settings.credentials_path}", file=sys.stderr)
    print(
        f"modelport serving on {settings.base_url}  (docs: {settings.base_url}/docs)",
        file=sys.stderr,
    )
    on_start = (lambda: deploy_examples(platform, settings.admin_user)) if examples else None
    run(build_app(platform, on_start=on_start), settings.host, settings.port)
