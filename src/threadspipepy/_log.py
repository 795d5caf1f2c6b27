"""Loggers under `threadspipepy`, silenced per instance rather than process-wide.

0.4.5's `disable_logging=True` called `logging.disable()`, silencing the host application
too. Here each ThreadsPipe gets adapters that either pass records to the `threadspipepy`
logger tree or drop them, so one quiet instance silences nothing else.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    Log = logging.LoggerAdapter[logging.Logger]
    _AdapterBase = logging.LoggerAdapter[logging.Logger]
else:
    Log = logging.LoggerAdapter
    _AdapterBase = logging.LoggerAdapter

ROOT = "threadspipepy"


class _Silent(_AdapterBase):
    """An adapter that drops every record: the logger of a `disable_logging=True` instance."""

    def isEnabledFor(self, level: int) -> bool:
        return False


def logger_for(component: str, *, enabled: bool = True) -> Log:
    """The adapter a component logs through, e.g. `logger_for("publishing")`."""
    logger = logging.getLogger(f"{ROOT}.{component}" if component else ROOT)
    return logging.LoggerAdapter(logger, {}) if enabled else _Silent(logger, {})
