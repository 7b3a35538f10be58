"""The HTTP surface: the only package that knows the web framework."""
