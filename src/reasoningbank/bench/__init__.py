"""Benchmark harness: memory methods, the resumable task-stream runner, reports and plots."""

from .arms import build_arm
from .manifest import ManifestMismatchError, check_resume
from .methods import METHOD_SPECS, Method, MethodUpdate, build_method
from .metrics import compute_metrics
from .records import PendingEpisode, RunManifest, TaskRecord, TrajectoryLine
from .report import render_report, write_report
from .rundata import RunData, load_run
from .runner import StreamResult, run_stream
from .settings import BENCH_PRESET, RunSettings
from .stream import make_stream

__all__ = [
    "BENCH_PRESET",
    "METHOD_SPECS",
    "ManifestMismatchError",
    "Method",
    "MethodUpdate",
    "PendingEpisode",
    "RunData",
    "RunManifest",
    "RunSettings",
    "StreamResult",
    "TaskRecord",
    "TrajectoryLine",
    "build_arm",
    "build_method",
    "check_resume",
    "compute_metrics",
    "load_run",
    "make_stream",
    "render_report",
    "run_stream",
    "write_report",
]
