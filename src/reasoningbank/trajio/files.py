"""Reading trajectory files from disk, and the path of the bundled example file."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..models import Trajectory
from .errors import TrajectoryFileError
from .native import parse_trajectories

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
    file name (``name``, or ``name#N`` when the file holds several).
    """
    p = Path(path)
    if not p.exists():
        raise TrajectoryFileError(str(p), "no such file")
    if p.is_dir():
        raise TrajectoryFileError(str(p), "is a directory, not a trajectory file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TrajectoryFileError(str(p), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise TrajectoryFileError(str(p), f"cannot read file: {exc.strerror or exc}") from exc
    return parse_trajectories(text, source=str(p), task_id=task_id, query=query)
