"""Command line: ``modelport serve|init|deploy|call|publish|...``."""
