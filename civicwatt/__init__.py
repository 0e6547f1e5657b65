"""civicwatt: energy telemetry for public-institution buildings (the application shell)."""

__version__ = "0.1.0"
