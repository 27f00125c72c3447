"""Load agent trajectories from files, whatever shape they come in.

:func:`load_trajectories` auto-detects four formats:

* our JSON: one :class:`~reasoningbank.models.Trajectory` object or a list of them;
* our JSONL: one object per line (each line may also be a chat transcript);
* an OpenAI-style chat transcript: a list of ``{role, content}`` messages or
  ``{"messages": [...]}`` -- the first user message is the query and each
  assistant message becomes a step;
* a mini-swe-agent ``.traj.json`` file (``"trajectory_format": "mini-swe-agent-1"``).

:func:`load_trajectories` parses and validates the whole file before it returns
anything, so a caller that loads first and stores afterwards never stores half
a file. :func:`iter_trajectories` reads the same formats one record at a time,
in memory bounded by the largest record (for files too large to hold). Any
problem raises :class:`TrajectoryFileError` naming the file and the line.

One module per job: :mod:`.files` reads from disk, :mod:`.stream` streams a file, :mod:`.native` detects the
format and reads our JSON/JSONL, :mod:`.messages` chat transcripts,
:mod:`.miniswe` mini-swe-agent runs, :mod:`.errors` the shared error.
"""

from __future__ import annotations

from .errors import TrajectoryFileError
from .files import EXAMPLE_FILE as EXAMPLE_FILE
from .files import example_path, load_trajectories
from .messages import split_action
from .miniswe import strip_instance_template
from .native import parse_trajectories
from .stream import iter_trajectories

__all__ = [
    "TrajectoryFileError",
    "example_path",
    "iter_trajectories",
    "load_trajectories",
    "parse_trajectories",
    "split_action",
    "strip_instance_template",
]
