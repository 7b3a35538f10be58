"""The composition root: the one place that picks adapters and wires the services.

>>> from modelport.config import Settings
>>> app = create_app(Settings(home=Path("/tmp/mp-doc")))  # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp

from modelport.adapters.blobs.disk import DiskBlobs
from modelport.adapters.envs import Confinement, UvEnvironments
from modelport.adapters.runtime.cgroups import Cgroups
from modelport.adapters.runtime.channel import Gateway
from modelport.adapters.runtime.pool import LocalRunner
from modelport.adapters.runtime.sandbox import Sandbox, bubblewrap
from modelport.adapters.store.migrate import upgrade
from modelport.adapters.store.sql import SqlStore
from modelport.config import Settings
from modelport.core.limits import Budget
from modelport.core.metrics import Metrics
from modelport.core.ports import Blobs, Deployment
from modelport.errors import InvalidInput
from modelport.http.app import build_app
from modelport.http.server import run
from modelport.sdk import vision
from modelport.services.accounts import Accounts
from modelport.services.builds import Builds
from modelport.services.calls import Calls
from modelport.services.data import Data
from modelport.services.demos import Demos
from modelport.services.examples import deploy_examples
from modelport.services.platform import Platform
from modelport.services.principal import Principal
from modelport.services.registry import Registry
from modelport.services.sessions import Sessions

LOAD_SCOPES = frozenset({"data:read", "algo:call"})


def create_platform(settings: Settings) -> Platform:
    """Migrate the database, open the adapters and build the services."""
    _private_home(settings)
    url = settings.database_url_or_default
    upgrade(url)
    store = SqlStore(url)
    secret = token_secret(settings)
    accounts = Accounts(store, token_secret=secret, cache_ttl=settings.cache_ttl)
    runner = LocalRunner(
        worker_idle_ttl=settings.worker_idle_ttl,
        worker_start_timeout=settings.worker_start_timeout,
        worker_threads=settings.worker_threads,
        env=_worker_env(settings),
        log_dir=settings.home / "logs",
        load_key=_load_key(accounts, ttl=settings.worker_start_timeout + 60),
        sandbox=_sandbox(settings),
        cgroups=_cgroups(),
        processes=settings.worker_processes,
        max_result_bytes=settings.max_result_bytes,
        max_stdout_chars=settings.max_stdout_chars,
        max_log_bytes=settings.max_log_bytes,
        allow_network=settings.allow_network,
        gateway=Gateway(_loopback(settings.host), settings.port, accounts.channel_proof),
    )
    envs = UvEnvironments(
        settings.envs_path,
        default_python=settings.python,
        find_links=settings.find_links,
        confinement=_confinement(runner.sandbox),
    )
    registry = Registry(store)
    blobs = _file_blobs(settings, DiskBlobs(settings.blobs_path))
    builds = Builds(
        store,
        blobs,
        envs,
        runner,
        workdir=settings.builds_path,
        allow_network=settings.allow_network,
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
        accounts=accounts,
        registry=registry,
        builds=builds,
        calls=Calls(
            registry,
            builds,
            runner,
            metrics,
            tokens=accounts.call_token,
            cache_ttl=settings.cache_ttl,
            default_timeout=settings.default_timeout,
            max_timeout=settings.max_timeout,
        ),
        data=Data(
            store, blobs, max_file_bytes=settings.max_file_bytes, quota_bytes=settings.quota_bytes
        ),
        sessions=Sessions(store, accounts, cache_ttl=settings.cache_ttl, secret=secret),
        demos=Demos(
            accounts,
            registry,
            builds,
            per_minute=settings.demo_calls_per_minute,
            cache_ttl=settings.cache_ttl,
        ),
        metrics=metrics,
        base_url=settings.base_url,
        max_body_bytes=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
        bodies=Budget(settings.max_buffered_bytes),
        image_loader=_image_loader(),
    )


def _image_loader() -> Callable[[object], Any] | None:
    """``modelport.vision.load_image`` as PIL, for ``?render=true``; None without Pillow.

    The gateway draws only images sent in the request: it never fetches a URL or a
    ``data://`` file itself (it has no caller's token, and its network is not the workers')."""
    if importlib.util.find_spec("PIL") is None:
        return None

    def load(value: object) -> Any:
        return vision.load_image(value, as_array=False, remote=False)

    return load


def _private_home(settings: Settings) -> None:
    """The home folder for this server's user alone (0700), and the default SQLite database
    created 0600 (SQLite gives its -wal and -shm files the database's mode)."""
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.home.chmod(0o700)
    if settings.database_url is None:
        database = settings.home / "modelport.db"
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
        database.chmod(0o600)


def _sandbox(settings: Settings) -> Sandbox | None:
    """Bubblewrap around every worker, unless turned off (docs/security.md)."""
    if settings.sandbox == "off":
        return None
    bwrap = bubblewrap()
    if bwrap is None:
        if settings.sandbox == "bubblewrap":
            raise InvalidInput(
                "MODELPORT_SANDBOX=bubblewrap, but bwrap is not installed"
                " (Debian and Ubuntu: apt-get install bubblewrap)"
            )
        logging.getLogger("modelport").warning(
            "bubblewrap (bwrap) is not installed: workers run unsandboxed, as this server's"
            " own user, and can read its files (docs/security.md)"
        )
        return None
    return Sandbox(bwrap, tmp_bytes=settings.sandbox_tmp_bytes)


def _confinement(sandbox: Sandbox | None) -> Confinement | None:
    """Package builds in environment installs run in the workers' sandbox, with network."""
    if sandbox is None:
        return None

    def wrap(argv: list[str], reads: list[Path], writes: list[Path]) -> list[str]:
        return sandbox.wrap(argv, reads=reads, cwd=writes[0], isolated=False, writes=writes)

    return Confinement(wrap, sandbox.uid if os.geteuid() == 0 else None)


def _loopback(host: str) -> str:
    """How this machine reaches the address the gateway listens on."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _cgroups() -> Cgroups | None:
    """Per-worker cgroups where this host allows them (docs/security.md)."""
    found = Cgroups.find()
    if found is None:
        logging.getLogger("modelport").warning(
            "no cgroups can be made here: a worker's memory limit holds per process only"
            " (its children and shared memory escape it), and its process count is not capped"
        )
    return found


def _worker_env(settings: Settings) -> dict[str, str]:
    """What every worker is told: where to cache data files, and the image-fetching policy.
    Never a credential, nor the gateway's address: each worker reaches the gateway through its
    own channel, which acts as the right caller at each moment (``runtime/channel.py``)."""
    env = {"MODELPORT_DATA_CACHE": str(settings.home / "cache" / "data")}
    if settings.allow_private_urls:
        env["MODELPORT_ALLOW_PRIVATE_URLS"] = "1"
    return env


def _load_key(accounts: Accounts, *, ttl: float) -> Callable[[Deployment], str]:
    """A read-only key for a worker's ``load()``: it acts as the algorithm's owner."""

    def mint(deployment: Deployment) -> str:
        algorithm = deployment.key.split("@", 1)[0]
        owner = accounts.account(algorithm.split("/", 1)[0])
        return accounts.call_token(Principal(owner, LOAD_SCOPES), algorithm, ttl)

    return mint


def _file_blobs(settings: Settings, disk: Blobs) -> Blobs:
    """Where sources and data files live: S3 when a bucket is set, else the local disk."""
    if settings.s3_bucket is None:
        return disk
    try:
        from modelport.adapters.blobs.s3 import S3Blobs
    except ModuleNotFoundError as exc:
        raise InvalidInput(
            f"MODELPORT_S3_BUCKET is set, but {exc.name} is not installed:"
            " pip install 'modelport[s3]'"
        ) from None
    return S3Blobs(
        settings.s3_bucket,
        endpoint_url=settings.s3_endpoint,
        prefix=settings.s3_prefix,
        staging=settings.home / "staging",
    )


def token_secret(settings: Settings) -> bytes:
    """The key that signs call tokens: ``settings.secret_key``, else ``home/secret.key``,
    generated (mode 600) at the first start and reused after, so restarts keep tokens valid."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.secret_key_path
    if not path.exists():
        # Written aside, then linked into place: two first starts agree on one secret.
        draft = path.with_name(f".secret.key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_bytes().strip()


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
    logger = logging.getLogger("modelport")
    logger.addHandler(logging.StreamHandler(sys.stderr))
    logger.setLevel(logging.INFO)
    platform = create_platform(settings)
    if bootstrap(settings, platform) is not None:  # the key itself stays out of every log
        print(
            f"created admin account {settings.admin_user!r}; its API key is saved in"
            f" {settings.credentials_path} (mode 600), where the CLI and the Python client"
            " find it",
            file=sys.stderr,
        )
    print(
        f"modelport serving on {settings.base_url}  (web UI: {settings.base_url}/ui/,"
        f" sign in with the admin key; API docs: {settings.base_url}/docs)",
        file=sys.stderr,
    )
    on_start = (lambda: deploy_examples(platform, settings.admin_user)) if examples else None
    run(build_app(platform, on_start=on_start), settings.host, settings.port)
