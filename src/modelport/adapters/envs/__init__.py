"""Python environments for builds, created with uv and cached by requirements hash."""

from modelport.adapters.envs.uv import Confinement, UvEnvironments

__all__ = ["Confinement", "UvEnvironments"]
