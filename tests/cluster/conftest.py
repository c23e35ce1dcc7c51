"""The cluster tests' helpers (cluster_support) and the chart tests' (test_chart_support)
are imported by name: pytest runs in importlib mode."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
