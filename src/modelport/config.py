"""Typed settings, read once from ``MODELPORT_*`` variables and command-line flags."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable; ``Settings(port=9000)`` overrides the environment.

    >>> Settings(home=Path("/tmp/mp")).database_url_or_default
    'sqlite:////tmp/mp/modelport.db'
    """

    model_config = SettingsConfigDict(env_prefix="MODELPORT_", frozen=True, extra="forbid")

    home: Path = Field(default_factory=lambda: Path.home() / ".modelport")
    database_url: str | None = None  # default: SQLite under home
    blobs_dir: Path | None = None  # default: home/blobs
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None  # how clients reach this server; default http://host:port

    admin_user: str = "admin"
    # Signs the call tokens workers act with; default: generated once into home/secret.key.
    secret_key: str | None = None
    python: str = sys.executable  # interpreter for builds that do not name a python
    find_links: str | None = None  # extra wheel folder for environment installs
    max_body_bytes: int = 10 * 2**20
    body_timeout: float = 30.0  # seconds a request body may stall before 408
    max_buffered_bytes: int = 2**30  # request bodies being read at once, all together (503)
    max_file_bytes: int = 5 * 2**30  # one data file
    quota_bytes: int = 100 * 2**30  # data stored per account
    s3_bucket: str | None = None  # store files in S3 instead of blobs_dir
    s3_endpoint: str | None = None  # e.g. http://127.0.0.1:8333 for an S3-compatible server
    s3_prefix: str = ""
    default_timeout: float = 300.0
    max_timeout: float = 3000.0
    worker_idle_ttl: float = 600.0
    worker_threads: int = 1  # OMP/MKL/BLAS threads per worker
    worker_start_timeout: float = 120.0
    # Workers (and build import checks) in a bubblewrap sandbox: "auto" when bwrap is
    # installed (with a warning when not), "bubblewrap" to refuse to start without it.
    sandbox: Literal["auto", "bubblewrap", "off"] = "auto"
    sandbox_tmp_bytes: int = 2**30  # each sandboxed worker's private /tmp
    worker_processes: int = 256  # processes and threads per worker (a cgroup's pids.max)
    max_result_bytes: int = 64 * 2**20  # one call's result, encoded
    max_stdout_chars: int = 2**20  # one call's captured output (?stdout=true)
    max_log_bytes: int = 16 * 2**20  # a build's worker log (and one rotated file), its check's
    allow_private_urls: bool = False  # let image URLs reach private/loopback addresses
    allow_network: bool = True  # builds may ask for network: full (off: every worker isolated)
    demo_calls_per_minute: float = 30.0  # per client address, on public demo pages
    cache_ttl: float = 2.0  # seconds a resolved version, key, session or shared demo stays cached

    @property
    def database_url_or_default(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'modelport.db'}"

    @property
    def blobs_path(self) -> Path:
        return self.blobs_dir or self.home / "blobs"

    @property
    def envs_path(self) -> Path:
        return self.home / "envs"

    @property
    def builds_path(self) -> Path:
        return self.home / "builds"

    @property
    def secret_key_path(self) -> Path:
        return self.home / "secret.key"

    @property
    def credentials_path(self) -> Path:
        return self.home / "credentials.json"

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
