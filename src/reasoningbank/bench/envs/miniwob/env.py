"""MiniWoB++ tasks in a real headless Chromium, driven directly with selenium.

The task pages come from the ``miniwob`` package (its packaged HTML, loaded
through ``file://`` URLs). ``reset`` reloads the task page, seeds the page's
random generator with ``Math.seedrandom(seed)`` (as miniwob does) and starts
the episode with ``core.startEpisodeReal()``, so ``TaskSpec(family, seed)``
always yields the same instance. MiniWoB's per-episode timer (10 s by default)
is raised to ``episode_time_limit_s`` (default: practically unlimited) so a
slow local model does not time out.

Observation text is one line per visible element, in DOM order, each with an
id that is stable for the whole episode (assigned on first sight and stored on
the element)::

    [3] input_text name='tt' value=''
    [5] button 'Submit'
    [7] checkbox 'xyz' checked=false
    [8] text 'Some static text'

Actions: see :mod:`reasoningbank.bench.envs.actions` (``click``, ``type``,
``select``, ``submit``, ``done``).

Scoring: ``evaluate()`` maps MiniWoB's raw reward (``WOB_RAW_REWARD_GLOBAL``,
in [-1, 1]) to 1.0 when the episode ended with a positive raw reward and 0.0
otherwise (negative reward, still running, or finished by ``done()`` without
the page awarding a reward). The raw and time-scaled rewards are kept in
``Observation.info``.

The page listing and its text format live in :mod:`.page`, applying an
action to an element in :mod:`.apply`, the task families and the page
directory in :mod:`.tasks`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from selenium.common.exceptions import (
    ElementNotInteractableException,
    InvalidElementStateException,
    WebDriverException,
)

from ..actions import ACTION_GRAMMAR, ParsedAction, parse_action
from ..base import ActionError, Observation, TaskSpec
from ..browser import BrowserHandle, launch_chromium
from .apply import apply_to_element
from .page import LIST_JS, SKIP_IDS, STATE_JS, TEXT_LIMIT, format_element
from .tasks import MINIWOB_FAMILIES_DEFAULT, miniwob_html_dir

__all__ = ["MINIWOB_FAMILIES_DEFAULT", "MiniWoBEnv", "format_element", "miniwob_html_dir"]

#: ``setTimeout`` overflows above 2**31-1 ms; stay below it.
_MAX_TIMER_MS = 2_000_000_000


class MiniWoBEnv:
    """One MiniWoB++ browser; reuse it across episodes (``reset`` per task).

    Parameters: ``episode_time_limit_s`` (None = practically unlimited),
    ``settle_s`` (pause after each action so page handlers run),
    ``data_mode`` (MiniWoB's data mode, ``"train"`` as in miniwob's env).
    """

    action_grammar = ACTION_GRAMMAR

    def __init__(
        self,
        *,
        episode_time_limit_s: float | None = None,
        settle_s: float = 0.05,
        data_mode: str = "train",
        html_dir: Path | None = None,
    ) -> None:
        self.episode_time_limit_ms = (
            _MAX_TIMER_MS
            if episode_time_limit_s is None
            else min(_MAX_TIMER_MS, int(episode_time_limit_s * 1000))
        )
        self.settle_s = settle_s
        self.data_mode = data_mode
        self.html_dir = html_dir or miniwob_html_dir()
        self._browser: BrowserHandle | None = None
        self._task: TaskSpec | None = None
        self._goal = ""
        self._agent_done = False
        self._answer: str | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def driver(self) -> Any:
        if self._browser is None:
            self._browser = launch_chromium()
        return self._browser.driver

    def close(self) -> None:
        """Quit the browser (idempotent)."""
        if self._browser is not None:
            browser, self._browser = self._browser, None
            browser.quit()

    def __enter__(self) -> MiniWoBEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ episode

    def reset(self, task: TaskSpec) -> Observation:
        page = self.html_dir / f"{task.family}.html"
        if not page.is_file():
            raise ValueError(
                f"unknown MiniWoB++ task family {task.family!r}: no page {page.name} in the miniwob package"
            )
        driver = self.driver
        driver.get(page.as_uri())
        self._wait_for("typeof core !== 'undefined' && core.cover_div != null", "page load")
        driver.execute_script(
            "core.EPISODE_MAX_TIME = arguments[0];"
            "Math.seedrandom(arguments[1]);"
            "core.setDataMode(arguments[2]);"
            "core.startEpisodeReal();",
            self.episode_time_limit_ms,
            task.seed,
            self.data_mode,
        )
        self._wait_for("WOB_TASK_READY === true", "task start")
        self._task = task
        self._agent_done = False
        self._answer = None
        self._goal = str(driver.execute_script("return core.getUtterance();"))
        return self._observe()

    def step(self, action: str) -> Observation:
        if self._task is None:
            raise RuntimeError("call reset() before step()")
        if self._is_over():
            # Not an error the agent can fix by retrying: report the end so its loop stops.
            obs = self._observe()
            obs.done = True
            obs.error = "the episode is already over; the action was not applied"
            return obs
        parsed = parse_action(action)
        target = self._describe(parsed.element) if parsed.element is not None else None
        try:
            self._apply(parsed)
        except (ElementNotInteractableException, InvalidElementStateException) as exc:
            # e.g. typing into a hidden or disabled field: the agent's mistake, not a crash
            raise ActionError(
                f"{parsed.render()} failed: element {parsed.element} cannot be used that way now "
                f"({exc.msg or type(exc).__name__})"
            ) from exc
        except WebDriverException as exc:
            raise RuntimeError(f"the browser failed while applying {parsed.render()}: {exc.msg}") from exc
        if self.settle_s:
            time.sleep(self.settle_s)
        obs = self._observe(last_action=parsed.render())
        if target is not None:
            obs.info["target"] = target
        return obs

    def _describe(self, ref: int) -> str | None:
        """The observation line of element ``ref`` without its id, e.g. "button 'Submit'"."""
        prefix = f"[{ref}] "
        for line in self._observe().text.splitlines():
            if line.startswith(prefix):
                return line[len(prefix) :][:TEXT_LIMIT]
        return None

    def evaluate(self) -> float:
        """1.0 if MiniWoB ended the episode with a positive raw reward, else 0.0."""
        if self._task is None:
            return 0.0
        state = self._state()
        return 1.0 if state["done"] and float(state["raw_reward"]) > 0 else 0.0

    # ------------------------------------------------------------------ internals

    def _wait_for(self, condition: str, what: str, timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.driver.execute_script(f"try {{ return !!({condition}); }} catch (e) {{ return false; }}"):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"MiniWoB++ page did not reach {what} within {timeout_s:.0f} s")
            time.sleep(0.02)

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.driver.execute_script(STATE_JS)
        return state

    def _is_over(self) -> bool:
        return self._agent_done or bool(self._state()["done"])

    def _apply(self, a: ParsedAction) -> None:
        if a.name in ("done", "answer"):
            self._agent_done = True
            self._answer = a.text
            return
        apply_to_element(self.driver, a)

    def _observe(self, last_action: str | None = None) -> Observation:
        state = self._state()
        elements: list[dict[str, Any]] = self.driver.execute_script(LIST_JS, list(SKIP_IDS))
        text = "\n".join(format_element(d) for d in elements)
        task = self._task
        info: dict[str, Any] = {
            "family": task.family if task else None,
            "seed": task.seed if task else None,
            "raw_reward": float(state["raw_reward"]),
            "reward": float(state["reward"]),
            "reason": state.get("reason"),
            "episode_ended": bool(state["done"]),
            "agent_done": self._agent_done,
        }
        if self._answer is not None:
            info["answer"] = self._answer
        if last_action is not None:
            info["last_action"] = last_action
        return Observation(
            goal=self._goal,
            text=text,
            done=bool(state["done"]) or self._agent_done,
            info=info,
        )
