"""Use cases: registry, builds, runs and accounts. No framework, no SQL."""
