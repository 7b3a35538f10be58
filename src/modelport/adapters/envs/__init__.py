"""Python environments for builds, created with uv and cached by requirements hash."""

from modelport.adapters.envs.uv import UvEnvironments

__all__ = ["UvEnvironments"]
