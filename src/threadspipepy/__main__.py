"""`python -m threadspipepy`: the same as the `threadspipepy` command."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
