"""Benchmark harness: memory methods, the resumable task-stream runner, reports and plots."""

from .methods import METHOD_SPECS, Method, MethodUpdate, build_method
from .records import ManifestMismatchError
from .report import compute_metrics, load_run, render_report, write_report
from .runner import StreamResult, make_stream, run_stream

__all__ = [
    "METHOD_SPECS",
    "ManifestMismatchError",
    "Method",
    "MethodUpdate",
    "StreamResult",
    "build_method",
    "compute_metrics",
    "load_run",
    "make_stream",
    "render_report",
    "run_stream",
    "write_report",
]
