"""A ReAct agent over the :class:`~reasoningbank.bench.envs.base.Environment` protocol.

Follows the paper's web agent (PAPER §9.1) in a compact form: one model call
per step; the system message holds the base instructions (task, action
grammar, examples) followed by the memory block rendered by the core; the user
message holds the goal, the current observation only (no past observations),
the history of past thoughts and actions and the last action error (in the
paper's order: page, then history; ``page_last=True`` puts the page after the
history, so consecutive steps share a longer prompt prefix and a local server
that reuses its cached prefix evaluates only the new step and the new page).
The reply
must contain ``<think>...</think><action>...</action>`` (or, with
``json_actions=True``, a JSON object ``{"thought": ..., "action": ...}`` asked
for with a JSON schema). An unusable reply or an action the environment
rejects is answered with the error and the model is asked again, up to
``max_reasks`` calls per step; after that the step is recorded as failed and
the agent goes on with the next step.

The trajectory holds only what the agent saw and did: the benchmark's score
is never written into it (the runner reads ``env.evaluate()`` separately).
"""

from __future__ import annotations

import json
import re
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal, get_args

from ..llm import LLM, Message
from ..models import Step, Trajectory, Usage
from .envs.actions import (
    ACTION_GRAMMAR,
    ACTION_SIGNATURES,
    ParsedAction,
    canonical_action_name,
    parse_action,
)
from .envs.base import ActionError, Environment, Observation, TaskSpec

MemoryPlacement = Literal["system", "page"]
MEMORY_PLACEMENTS: tuple[str, ...] = get_args(MemoryPlacement)

BASE_INSTRUCTIONS = """\
You are an agent that completes tasks on web pages. At every step you are shown \
the task goal, the current page as a list of elements (each with a numeric id in \
square brackets), and the thoughts and actions you have already taken. You choose \
exactly one next action; each action changes the page and you then see the new page.

Available actions:
{action_grammar}

Use only ids that appear in the current page listing. Do one thing per step: fill \
a field, tick a box or press a button.
"""

XML_FORMAT = """\
Reply with your reasoning inside <think></think> followed by exactly one action \
inside <action></action>, for example:
<think>The goal asks me to type "Bob" into the text field, which has id 2.</think>
<action>type(2, "Bob")</action>"""

JSON_FORMAT = """\
Reply with one JSON object with four fields:
"thought": one or two short sentences of reasoning about the page and the goal,
"action": one of "click", "type", "select", "answer", "done",
"id": the numeric id of the element to act on (0 for answer and done),
"text": the text to type, the option to select or the answer to give ("" for click and done).
Buttons such as Submit are pressed with "click" and their id.
For example: {"thought": "The goal asks me to type Bob into the text field, which has id 2.", \
"action": "type", "id": 2, "text": "Bob"}"""

# Structured actions: small models break quoted arguments inside a JSON string
# ("type(1, " ends where the model's unescaped quote closes the string), so the
# grammar-constrained reply carries the action's parts as separate fields.
ACTION_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "thought": {"type": "string"},
        "action": {"type": "string", "enum": sorted(ACTION_SIGNATURES)},
        "id": {"type": "integer"},
        "text": {"type": "string"},
    },
    "required": ["thought", "action", "id", "text"],
}

_THINK_RE = re.compile(r"<think>(.*?)(?:</think>|(?=<action>)|$)", re.DOTALL | re.IGNORECASE)
_ACTION_RE = re.compile(r"<action>(.*?)(?:</action>|$)", re.DOTALL | re.IGNORECASE)
_FENCE_RE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")


class OutputFormatError(ValueError):
    """The model's reply holds no usable action."""


@dataclass(frozen=True)
class AgentResult:
    """What one episode produced. ``steps`` counts recorded steps (failed ones too);
    ``parse_failures`` counts replies without a usable action; ``action_errors``
    counts actions the environment rejected."""

    trajectory: Trajectory
    usage: Usage
    steps: int
    parse_failures: int
    action_errors: int = 0
    stop_reason: str = ""


def _clean_action(action: str) -> str:
    action = action.strip()
    action = _FENCE_RE.sub("", action).strip()
    if len(action) >= 2 and action[0] == action[-1] == "`":
        action = action.strip("`").strip()
    return action


def _parse_json_output(text: str) -> tuple[str, str]:
    body = _FENCE_RE.sub("", text.strip()).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0:
        raise OutputFormatError('no JSON object found; reply with {"thought": "...", "action": "..."}')
    candidate = body[start : end + 1] if end > start else body[start:]
    try:
        obj = json.loads(candidate)
    except json.JSONDecodeError as exc:
        raise OutputFormatError(f"the JSON reply is invalid ({exc.msg} at position {exc.pos})") from exc
    if not isinstance(obj, dict):
        raise OutputFormatError("the JSON reply must be an object with 'thought' and 'action'")
    action = obj.get("action")
    if not isinstance(action, str) or not action.strip():
        raise OutputFormatError('the JSON reply has no non-empty string field "action"')
    thought = obj.get("thought", "")
    thought_text = (thought if isinstance(thought, str) else json.dumps(thought)).strip()
    name = canonical_action_name(action)
    if name in ACTION_SIGNATURES:  # structured form: {"action": "type", "id": 2, "text": "Bob"}
        return thought_text, _structured_action(name, obj.get("id"), obj.get("text"))
    return thought_text, _clean_action(action)


def _structured_action(name: str, element: Any, text: Any) -> str:
    """Render ``{"action", "id", "text"}`` as the canonical action string."""
    n_ids, n_strings = ACTION_SIGNATURES[name]
    el: int | None = None
    if n_ids:
        if isinstance(element, str) and element.strip().isdigit():
            element = int(element)
        if not isinstance(element, int) or isinstance(element, bool):
            raise OutputFormatError(f'"{name}" needs the numeric "id" of an element from the page')
        el = element
    value: str | None = None
    if n_strings:
        if not isinstance(text, str):
            raise OutputFormatError(f'"{name}" needs a string "text"')
        value = text
    return ParsedAction(name, el, value).render()


def _parse_xml_output(text: str) -> tuple[str, str]:
    actions = [a for a in _ACTION_RE.findall(text) if a.strip()]
    if not actions:
        raise OutputFormatError(
            "no <action>...</action> found; end your reply with exactly one action inside <action></action>"
        )
    if len(actions) > 1:
        raise OutputFormatError(f"{len(actions)} <action> tags found; give exactly one action per reply")
    thoughts = [t.strip() for t in _THINK_RE.findall(text) if t.strip()]
    return "\n".join(thoughts), _clean_action(actions[0])


def parse_output(text: str, *, json_actions: bool = False) -> tuple[str, str]:
    """Return ``(thought, action)`` from a model reply or raise :class:`OutputFormatError`.

    The preferred format is tried first; the other one is accepted as a fallback.
    """
    first, second = (
        (_parse_json_output, _parse_xml_output) if json_actions else (_parse_xml_output, _parse_json_output)
    )
    try:
        return first(text)
    except OutputFormatError as primary:
        try:
            return second(text)
        except OutputFormatError:
            raise primary from None


def _submitted_answer(action: str, current: str | None) -> str | None:
    """The answer of an ``answer("...")`` action, else ``current``."""
    try:
        parsed = parse_action(action)
    except ActionError:
        return current
    return parsed.text if parsed.name == "answer" else current


@dataclass
class _Episode:
    """The running state of one episode: the current page, the steps so far and the counts."""

    obs: Observation
    last_error: str | None
    usage: Usage = field(default_factory=Usage)
    steps: list[Step] = field(default_factory=list)
    parse_failures: int = 0
    action_errors: int = 0
    final_answer: str | None = None


@dataclass(eq=False)
class ReActAgent:
    """Thought-action loop: ``run(env, task)`` plays one episode.

    ``max_reasks`` is the number of model calls allowed per step (the paper's
    ``max_retry=4``): the first try plus re-asks after format or action errors.
    """

    llm: LLM
    _: KW_ONLY
    max_steps: int = 10
    temperature: float = 0.7
    max_reasks: int = 4
    memory_text: str = ""
    system_prompt: str | None = None
    json_actions: bool = False
    max_tokens: int | None = None
    page_last: bool = False
    # Where the memory block goes: the system prompt (the paper's place), or the user message,
    # right above the current page at every step (beside the state a lesson speaks of).
    memory_placement: MemoryPlacement = "system"

    def __post_init__(self) -> None:
        if self.memory_placement not in MEMORY_PLACEMENTS:
            raise ValueError(
                f"unknown memory placement {self.memory_placement!r}; "
                f"expected one of {', '.join(MEMORY_PLACEMENTS)}"
            )
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {self.max_steps}")
        if self.max_reasks < 1:
            raise ValueError(f"max_reasks must be at least 1, got {self.max_reasks}")

    # ------------------------------------------------------------------ prompts

    def build_system(self, env: Environment | None = None, memory_text: str | None = None) -> str:
        """Base instructions (with the env's action grammar) + "\\n\\n" + memory block (the block
        only when memory is placed in the system prompt)."""
        grammar = str(getattr(env, "action_grammar", ACTION_GRAMMAR))
        if self.system_prompt is not None:
            base = self.system_prompt.replace("{action_grammar}", grammar)
        else:
            fmt = JSON_FORMAT if self.json_actions else XML_FORMAT
            base = BASE_INSTRUCTIONS.format(action_grammar=grammar) + "\n" + fmt
        memory = self.memory_text if memory_text is None else memory_text
        if self.memory_placement != "system":
            return base
        return f"{base}\n\n{memory}" if memory.strip() else base

    @staticmethod
    def build_user(
        goal: str,
        observation: str,
        history: list[Step],
        last_error: str | None,
        *,
        page_last: bool = False,
        memory: str = "",
    ) -> str:
        """The step's user message; ``memory`` (the block placed beside the page) goes right
        above the current page."""
        page = f"# Current page\n{observation or '(empty page)'}"
        if memory.strip():
            page = f"# Memory\n{memory.strip()}\n\n{page}"
        parts = [f"# Goal\n{goal}"]
        if not page_last:
            parts.append(page)
        if history:
            lines = []
            for i, s in enumerate(history, 1):
                lines.append(f"## Step {i}\nThought: {s.thought or '(none)'}\nAction: {s.action or '(none)'}")
                if s.observation is not None and s.observation.startswith("ERROR: "):
                    lines.append(s.observation)
            parts.append("# History of your past thoughts and actions\n" + "\n".join(lines))
        if page_last:
            parts.append(page)
        if last_error:
            parts.append(f"# Error from your last action\n{last_error}")
        parts.append("# Your next step\nGive your thought and exactly one action.")
        return "\n\n".join(parts)

    # ------------------------------------------------------------------ loop

    def run(self, env: Environment, task: TaskSpec, *, memory_text: str | None = None) -> AgentResult:
        """Play one episode of ``task`` in ``env``; ``memory_text`` overrides the
        agent's memory block for this run."""
        obs = env.reset(task)
        system = self.build_system(env, memory_text)
        memory = self.memory_text if memory_text is None else memory_text
        beside_page = memory if self.memory_placement == "page" else ""
        episode = _Episode(obs=obs, last_error=obs.error)
        while len(episode.steps) < self.max_steps and not episode.obs.done:
            episode.steps.append(self._step(env, system, episode, beside_page))
        stop_reason = "done" if episode.obs.done else "max_steps"
        return self._result(task, episode, stop_reason)

    def _step(self, env: Environment, system: str, episode: _Episode, memory: str = "") -> Step:
        """One step: ask the model, re-asking after a format or action error, at most
        ``max_reasks`` calls; the step that is returned records the success or the last error."""
        schema = ACTION_JSON_SCHEMA if self.json_actions else None
        obs = episode.obs
        base_user = self.build_user(
            obs.goal, obs.text, episode.steps, episode.last_error, page_last=self.page_last, memory=memory
        )
        messages: list[Message] = [
            {"role": "system", "content": system},
            {"role": "user", "content": base_user},
        ]
        thought, action = "", ""
        error = ""
        for _ in range(self.max_reasks):
            resp = self.llm.complete(
                messages,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                json_schema=schema,
            )
            episode.usage = episode.usage + resp.usage
            try:
                thought, action = parse_output(resp.text, json_actions=self.json_actions)
            except OutputFormatError as exc:
                episode.parse_failures += 1
                error = f"Your reply could not be used: {exc}"
            else:
                try:
                    new_obs = env.step(action)
                except ActionError as exc:
                    episode.action_errors += 1
                    error = f"The action {action!r} failed: {exc}"
                else:
                    return self._record(episode, thought, action, new_obs)
            messages = [
                *messages,
                {"role": "assistant", "content": resp.text},
                {"role": "user", "content": f"{error}\nReply again in the required format."},
            ]
        episode.last_error = error
        return Step(thought=thought, action=action, observation=f"ERROR: {error}")

    @staticmethod
    def _record(episode: _Episode, thought: str, action: str, new_obs: Observation) -> Step:
        """The step of an action the environment applied; the episode moves on to ``new_obs``."""
        target = new_obs.info.get("target")
        recorded = Step(
            thought=thought,
            action=action,
            observation=new_obs.text,
            target=target if isinstance(target, str) else None,
        )
        episode.obs = new_obs
        episode.last_error = new_obs.error
        episode.final_answer = _submitted_answer(action, episode.final_answer)
        return recorded

    def _result(self, task: TaskSpec, episode: _Episode, stop_reason: str) -> AgentResult:
        """The trajectory and the counts of a finished episode."""
        trajectory = Trajectory(
            task_id=task.task_id,
            query=episode.obs.goal,
            steps=episode.steps,
            final_answer=episode.final_answer,
            meta={
                "family": task.family,
                "seed": task.seed,
                "stop_reason": stop_reason,
                "model": self.llm.model,
            },
        )
        return AgentResult(
            trajectory=trajectory,
            usage=episode.usage,
            steps=len(episode.steps),
            parse_failures=episode.parse_failures,
            action_errors=episode.action_errors,
            stop_reason=stop_reason,
        )
