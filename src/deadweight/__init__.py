"""deadweight: a static auditor for PyTorch model repositories."""

__version__ = "0.1.0"
