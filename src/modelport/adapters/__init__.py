"""Adapters: the store (SQL), blobs (disk), runtime (worker pool) and envs (uv)."""
