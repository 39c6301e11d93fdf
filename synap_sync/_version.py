"""The package version, a leaf so that any module may read it."""

__version__ = "0.3.0"
