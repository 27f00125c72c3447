"""A small in-memory environment for tests: a form to fill and submit.

``ScriptedEnvironment`` implements the :class:`~reasoningbank.bench.envs.base.Environment`
protocol with the same action grammar as the MiniWoB++ environment. A task is
a set of text fields and a Submit button; the goal names the value each field
must hold. Clicking Submit ends the episode; ``evaluate()`` is 1.0 when every
field holds its target value at that moment (or, with ``answer`` set, when
``answer("...")`` gave that answer). Every applied action is recorded in
``actions`` so tests can check what the agent did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .actions import ACTION_GRAMMAR, parse_action
from .base import ActionError, Observation, TaskSpec


@dataclass
class ScriptedEnvironment:
    """A form with ``fields`` (name -> target value) and a Submit button (id 1).

    Field ids are 2, 3, ... in the order given. ``answer`` switches to an
    answer task: success means ``answer(text)``.
    """

    fields: dict[str, str] = field(default_factory=lambda: {"name": "Ada"})
    answer: str | None = None
    goal_template: str | None = None
    action_grammar: str = ACTION_GRAMMAR
    actions: list[str] = field(default_factory=list)
    resets: int = 0
    closed: bool = False

    def __post_init__(self) -> None:
        self._values: dict[str, str] = {}
        self._submitted = False
        self._finished = False
        self._answer_given: str | None = None
        self._task: TaskSpec | None = None

    # ------------------------------------------------------------------ protocol

    def reset(self, task: TaskSpec) -> Observation:
        self._task = task
        self._values = {name: "" for name in self.fields}
        self._submitted = False
        self._finished = False
        self._answer_given = None
        self.actions = []
        self.resets += 1
        return self._observe()

    def step(self, action: str) -> Observation:
        if self._task is None:
            raise RuntimeError("call reset() before step()")
        if self._finished:
            raise ActionError("the episode is already over; no more actions are accepted")
        a = parse_action(action)
        ids = self._ids()
        if a.name in ("done", "answer"):
            self._answer_given = a.text
            self._finished = True
        elif a.element not in ids and a.element != 1:
            raise ActionError(
                f"there is no element with id {a.element} on the page; use an id from the observation"
            )
        elif a.name == "click":
            if a.element == 1:
                self._submitted = True
                self._finished = True
        elif a.name == "type":
            if a.element == 1:
                raise ActionError("element 1 is not a text field; type() needs an input box")
            assert a.text is not None
            self._values[ids[a.element]] = a.text
        else:  # select
            raise ActionError(f"element {a.element} is not a drop-down list; use click() instead")
        self.actions.append(a.render())
        return self._observe()

    def evaluate(self) -> float:
        if self.answer is not None:
            return 1.0 if self._answer_given == self.answer else 0.0
        ok = self._submitted and all(self._values.get(k) == v for k, v in self.fields.items())
        return 1.0 if ok else 0.0

    def close(self) -> None:
        self.closed = True

    # ------------------------------------------------------------------ helpers

    def _ids(self) -> dict[int, str]:
        return {i + 2: name for i, name in enumerate(self.fields)}

    def goal(self) -> str:
        if self.goal_template is not None:
            return self.goal_template
        if self.answer is not None:
            return "Find the answer and submit it."
        wanted = " and ".join(f'{k} "{v}"' for k, v in self.fields.items())
        return f"Enter {wanted} into the form and press Submit."

    def _observe(self) -> Observation:
        lines = ['[1] button "Submit"']
        for ref, name in self._ids().items():
            value = json.dumps(self._values.get(name, ""))
            lines.append(f"[{ref}] input_text name={json.dumps(name)} value={value}")
        return Observation(
            goal=self.goal(),
            text="\n".join(lines),
            done=self._finished,
            info={"family": self._task.family if self._task else None},
        )
