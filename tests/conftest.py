"""Suite-wide settings.

Property tests explore new random examples on every local run; under CI (CI=true) they use a
fixed seed, so that a submission's result does not depend on the draw.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
