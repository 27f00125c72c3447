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
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from selenium.common.exceptions import (
    ElementNotInteractableException,
    InvalidElementStateException,
    WebDriverException,
)

from .actions import ACTION_GRAMMAR, ParsedAction, parse_action
from .base import ActionError, Observation, TaskSpec
from .browser import BrowserHandle, launch_chromium

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

#: ``setTimeout`` overflows above 2**31-1 ms; stay below it.
_MAX_TIMER_MS = 2_000_000_000

_SKIP_IDS = ("reward-display", "sync-task-cover", "click-canvas", "query")

# Walks the page, gives every listed element a stable ``data-rb-ref`` and
# returns a description of each. Ids persist on the element; the page is
# reloaded at every reset, so numbering restarts at 1 for each episode.
_LIST_JS = r"""
var SKIP = arguments[0];
if (window.__rbNextRef === undefined) { window.__rbNextRef = 1; }
var out = [];
function visible(el) {
  var r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  var cs = window.getComputedStyle(el);
  return cs.visibility !== 'hidden' && cs.display !== 'none';
}
function ownText(el) {
  var parts = [];
  el.childNodes.forEach(function (c) {
    if (c.nodeType === 3 && !/^\s*$/.test(c.data)) parts.push(c.data.trim());
  });
  return parts.join(' ').replace(/\s+/g, ' ');
}
function labelFor(el) {
  if (el.labels && el.labels.length) {
    return el.labels[0].textContent.replace(/\s+/g, ' ').trim();
  }
  var p = el.parentElement;
  if (p && p.tagName === 'LABEL') return p.textContent.replace(/\s+/g, ' ').trim();
  var n = el.nextSibling;
  if (n && n.nodeType === 3 && !/^\s*$/.test(n.data)) return n.data.trim();
  return '';
}
function ref(el) {
  if (el.dataset.rbRef === undefined) { el.dataset.rbRef = String(window.__rbNextRef++); }
  return +el.dataset.rbRef;
}
function walk(el) {
  if (SKIP.indexOf(el.id) >= 0) return;
  var tag = el.tagName;
  if (tag === 'SCRIPT' || tag === 'STYLE' || tag === 'OPTION' || tag === 'CANVAS') return;
  if (!visible(el)) return;
  var cs = window.getComputedStyle(el);
  var d = {tag: tag.toLowerCase(), id: el.id || ''};
  var listed = false;
  if (tag === 'INPUT') {
    d.kind = 'input_' + (el.type || 'text');
    if (el.type === 'checkbox' || el.type === 'radio') {
      d.kind = el.type; d.checked = el.checked; d.text = labelFor(el);
    } else if (el.type === 'button' || el.type === 'submit' || el.type === 'reset') {
      d.kind = 'button'; d.text = el.value;
    } else { d.value = el.value; }
    listed = true;
  } else if (tag === 'TEXTAREA') {
    d.kind = 'textarea'; d.value = el.value; listed = true;
  } else if (tag === 'SELECT') {
    d.kind = 'select';
    d.options = Array.prototype.map.call(el.options, function (o) { return o.text.trim(); });
    d.value = el.selectedIndex >= 0 ? el.options[el.selectedIndex].text.trim() : '';
    listed = true;
  } else if (tag === 'BUTTON') {
    d.kind = 'button'; d.text = el.textContent.replace(/\s+/g, ' ').trim(); listed = true;
  } else {
    var t = ownText(el);
    var isLink = tag === 'A' || cs.cursor === 'pointer';
    if (t || isLink) {
      d.kind = isLink ? 'link' : 'text';
      d.text = t || el.textContent.replace(/\s+/g, ' ').trim();
      listed = true;
    }
  }
  if (listed) {
    if (document.activeElement === el) d.focused = true;
    d.ref = ref(el);
    out.push(d);
  }
  if (tag === 'SELECT' || tag === 'BUTTON' || tag === 'TEXTAREA') return;
  for (var i = 0; i < el.children.length; i++) walk(el.children[i]);
}
walk(document.body);
return out;
"""

_STATE_JS = (
    "return {done: WOB_DONE_GLOBAL, reward: WOB_REWARD_GLOBAL,"
    " raw_reward: WOB_RAW_REWARD_GLOBAL, reason: WOB_REWARD_REASON};"
)

_DATE_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_TEXT_LIMIT = 100


def miniwob_html_dir() -> Path:
    """The directory of the packaged MiniWoB++ task pages."""
    try:
        import miniwob
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "the MiniWoB++ environment needs the 'miniwob' package (pip install 'reasoningbank[miniwob]')"
        ) from exc
    return Path(miniwob.__file__).resolve().parent / "html" / "miniwob"


def _q(s: str) -> str:
    """Quote page text with single quotes: models copy the observation's quoting into
    their replies, and an unescaped double quote ends a JSON string early."""
    if len(s) > _TEXT_LIMIT:
        s = s[: _TEXT_LIMIT - 3] + "..."
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def format_element(d: dict[str, Any]) -> str:
    """One observation line for an element description from the page."""
    kind = str(d.get("kind", d.get("tag", "?")))
    parts = [f"[{d['ref']}]", kind]
    if kind in ("button", "link", "text", "checkbox", "radio") and d.get("text") is not None:
        parts.append(_q(str(d["text"])))
    if d.get("id"):
        # The page's own element id, shown as a name: calling it "id" confused small models,
        # which then used it instead of the bracketed number actions need.
        parts.append(f"name={_q(str(d['id']))}")
    if kind == "select":
        parts.append("options=[" + ", ".join(_q(str(o)) for o in d.get("options", [])) + "]")
    if "value" in d:
        parts.append(f"value={_q(str(d['value']))}")
    if "checked" in d:
        parts.append(f"checked={'true' if d['checked'] else 'false'}")
    if d.get("focused"):
        parts.append("focused")
    return " ".join(parts)


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
                return line[len(prefix) :][:_TEXT_LIMIT]
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
        state: dict[str, Any] = self.driver.execute_script(_STATE_JS)
        return state

    def _is_over(self) -> bool:
        return self._agent_done or bool(self._state()["done"])

    def _element(self, ref: int) -> Any:
        from selenium.webdriver.common.by import By

        found = self.driver.find_elements(By.CSS_SELECTOR, f'[data-rb-ref="{ref}"]')
        if not found:
            raise ActionError(
                f"there is no element with id {ref} on the page; use an id from the observation"
            )
        el = found[0]
        if not el.is_displayed():
            raise ActionError(f"element {ref} is not visible any more")
        return el

    def _apply(self, a: ParsedAction) -> None:
        if a.name in ("done", "answer"):
            self._agent_done = True
            self._answer = a.text
            return
        assert a.element is not None
        el = self._element(a.element)
        tag = str(el.tag_name).lower()
        itype = str(el.get_attribute("type") or "").lower()
        if a.name == "click":
            self._click(el)
        elif a.name == "type":
            assert a.text is not None
            if tag not in ("input", "textarea") or itype in (
                "checkbox",
                "radio",
                "button",
                "submit",
                "reset",
            ):
                raise ActionError(f"element {a.element} is not a text field; type() needs an input box")
            if itype == "date":
                self._set_date(el, a.element, a.text)
            else:
                el.clear()
                el.send_keys(a.text)
        elif a.name == "select":
            assert a.text is not None
            self._select(el, a.element, a.text)

    def _click(self, el: Any) -> None:
        from selenium.common.exceptions import (
            ElementClickInterceptedException,
            ElementNotInteractableException,
        )

        try:
            el.click()
        except (ElementClickInterceptedException, ElementNotInteractableException):
            # Covered or off-screen elements: fall back to a DOM click.
            self.driver.execute_script("arguments[0].click();", el)

    def _set_date(self, el: Any, ref: int, text: str) -> None:
        m = _DATE_RE.match(text)
        iso: str
        if m:
            iso = f"{int(m.group(3)):04d}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"
        else:
            m = _ISO_DATE_RE.match(text)
            if not m:
                raise ActionError(f"element {ref} is a date field; type a date as MM/DD/YYYY")
            iso = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            el,
            iso,
        )

    def _select(self, el: Any, ref: int, option: str) -> None:
        from selenium.webdriver.support.select import Select

        if str(el.tag_name).lower() != "select":
            raise ActionError(f"element {ref} is not a drop-down list; use click() instead")
        sel = Select(el)
        texts = [str(o.text).strip() for o in sel.options]
        wanted = option.strip()
        for i, t in enumerate(texts):
            if t == wanted:
                sel.select_by_index(i)
                return
        for i, t in enumerate(texts):
            if t.lower() == wanted.lower():
                sel.select_by_index(i)
                return
        raise ActionError(f"list {ref} has no option {option!r}; options are {texts}")

    def _observe(self, last_action: str | None = None) -> Observation:
        state = self._state()
        elements: list[dict[str, Any]] = self.driver.execute_script(_LIST_JS, list(_SKIP_IDS))
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
