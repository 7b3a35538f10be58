"""Real detectors deployed as user algorithm folders."""
