"""The script that draws the Insights page's chart runs and writes a PNG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "scripts" / "insights_chart.py"


def test_chart_script_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "chart.png"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(out)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
