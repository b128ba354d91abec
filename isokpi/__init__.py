"""isokpi: is our ISO management system really improving? The library behind the dashboard."""

__version__ = "0.1.0"
