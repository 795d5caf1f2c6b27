"""The installed version of threadspipepy."""

__version__ = "0.5.0"
