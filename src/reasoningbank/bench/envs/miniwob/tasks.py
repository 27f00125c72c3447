"""Which MiniWoB++ task families the benchmark uses, and where their pages are.

The task pages are the packaged HTML of the ``miniwob`` package, loaded through
``file://`` URLs by :class:`~reasoningbank.bench.envs.miniwob.env.MiniWoBEnv`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["MINIWOB_FAMILIES_DEFAULT", "miniwob_html_dir"]

#: Families checked to work with the action grammar and observation format.
MINIWOB_FAMILIES_DEFAULT: tuple[str, ...] = (
    "click-button",
    "click-link",
    "enter-text",
    "login-user",
    "click-checkboxes",
    "enter-password",
    "focus-text",
    "click-option",
    "click-dialog",
    "choose-list",
    "enter-date",
)


def miniwob_html_dir() -> Path:
    """The directory of the packaged MiniWoB++ task pages."""
    try:
        import miniwob
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "the MiniWoB++ environment needs the 'miniwob' package (pip install 'reasoningbank[miniwob]')"
        ) from exc
    return Path(miniwob.__file__).resolve().parent / "html" / "miniwob"
