"""Reading trajectory files from disk, and the path of the bundled example file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..models import Trajectory
from .stream import iter_trajectories

__all__ = ["EXAMPLE_FILE", "example_path", "load_trajectories"]

EXAMPLE_FILE = "example_trajectories.jsonl"


def example_path() -> Path:
    """Path of the bundled example trajectories (JSONL: one failed and one successful web task)."""
    ref = resources.files("reasoningbank").joinpath("data", EXAMPLE_FILE)
    path = Path(str(ref))
    if not path.is_file():
        raise FileNotFoundError(f"bundled example trajectories are missing from the package: {path}")
    return path


def load_trajectories(
    path: str | Path, *, task_id: str | None = None, query: str | None = None
) -> list[Trajectory]:
    """Read every trajectory in ``path``.

    ``task_id`` and ``query`` override the values found in the file (for every
    trajectory in it). Chat transcripts without a task id get one from the
    file name (``name``, or ``name#N`` when the file holds several). The whole file is read
    before anything is returned; :func:`~reasoningbank.trajio.stream.iter_trajectories` yields
    the records one by one instead.
    """
    return list(iter_trajectories(path, task_id=task_id, query=query))
