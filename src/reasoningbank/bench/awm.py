"""The AWM baseline's extractor: induce reusable workflows from a trajectory.

Agent Workflow Memory asks an LLM to abstract a solved task into workflows: a
name plus at least two think/action steps where concrete element values are
replaced by descriptive variable names. The instruction and the worked example
below are this project's own wording of that idea.
"""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass

from pydantic import ValidationError

from ..extract import ExtractionResult
from ..llm import LLM, Message
from ..llm.ask import ask_parsed
from ..models import Dropped, MemoryItem, Trajectory, Verdict
from ..text.formatting import Limits, think_action_blocks

WORKFLOW_PROMPT_VERSION = "awm_workflow@1"

WORKFLOW_INSTRUCTION = """\
You turn a record of a web agent's work into reusable workflows.

You will see a task query and the agent's steps as <think>/<action> pairs. Find the \
routines in it that would also help with other tasks of the same kind, and write each \
one as a workflow:

## Workflow <n>: <short name saying what the routine achieves>
<one sentence: when to use it>
<think>why this step is taken</think>
<action>the action, with concrete values replaced by {descriptive-variable-names}</action>
(at least two think/action pairs per workflow)

Rules:
- Replace element ids, typed text, names and numbers that belong to this particular \
task by descriptive variable names in braces, e.g. {search-box}, {item-name}.
- Keep the action syntax the agent used, so the workflow can be followed directly.
- Write at most {max_workflows} workflows; fewer is fine. Output only the workflows.

Example.
Query: Enter the username "ana" and the password "x9k" and log in.
Trajectory:
<think>The username field is element 4.</think><action>type(4, "ana")</action>
<think>The password field is element 5.</think><action>type(5, "x9k")</action>
<think>Now submit.</think><action>click(6)</action>

Output:
## Workflow 1: Log in with given credentials
Use when a form asks for a username and a password.
<think>Fill the username field first.</think>
<action>type({username-field}, "{username}")</action>
<think>Then fill the password field.</think>
<action>type({password-field}, "{password}")</action>
<think>Submit the form to finish.</think>
<action>click({login-button})</action>
"""

FAILURE_NOTE = (
    "Note: this attempt was judged unsuccessful. Keep only the steps that were still "
    "sensible, and leave out the steps that went wrong."
)

RETRY_MESSAGE = (
    "No workflow could be read from your answer. Reply again using exactly the layout "
    "'## Workflow <n>: <name>' followed by <think>...</think> and <action>...</action> lines."
)

_HEADER = re.compile(r"^\s*#{0,4}\s*\**\s*workflow\s*\d*\s*\**\s*[:.\-]\s*(.+?)\s*\**\s*$", re.I | re.M)
_ACTION = re.compile(r"<action>(.*?)</action>", re.I | re.S)

_LIMITS = Limits(head_steps=15, tail_steps=35, max_field_chars=3000, max_state_chars=4000)


@dataclass(frozen=True)
class ParsedWorkflow:
    name: str
    description: str
    body: str
    n_actions: int


def parse_workflows(text: str) -> list[ParsedWorkflow]:
    """Split LLM output into workflows (``## Workflow n: name`` + body).

    A workflow needs at least one ``<action>`` block to count; the caller
    decides what to do with workflows shorter than two steps.
    """
    heads = list(_HEADER.finditer(text))
    out: list[ParsedWorkflow] = []
    for i, m in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[m.end() : end].strip().strip("`").strip()
        n_actions = len(_ACTION.findall(body))
        if n_actions == 0:
            continue
        first = body.splitlines()[0].strip() if body else ""
        description = "" if first.lower().startswith("<think>") else first
        out.append(ParsedWorkflow(m.group(1).strip(" *#"), description, body, n_actions))
    return out


@dataclass(eq=False)
class WorkflowExtractor:
    """Extractor-compatible object producing ``origin="workflow"`` items."""

    llm: LLM
    _: KW_ONLY
    temperature: float = 1.0
    max_workflows: int = 3
    max_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.max_workflows < 1:
            raise ValueError(f"max_workflows must be at least 1, got {self.max_workflows}")

    def prompt_version(self, verdict: Verdict) -> str:
        return WORKFLOW_PROMPT_VERSION

    def messages(self, trajectory: Trajectory, verdict: Verdict) -> list[Message]:
        system = WORKFLOW_INSTRUCTION.replace("{max_workflows}", str(self.max_workflows))
        user = f"Query: {trajectory.query.strip()}\nTrajectory:\n{think_action_blocks(trajectory, _LIMITS)}"
        if not verdict.success:
            user += "\n\n" + FAILURE_NOTE
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def extract(self, trajectory: Trajectory, verdict: Verdict) -> ExtractionResult:
        answer = ask_parsed(
            self.llm,
            self.messages(trajectory, verdict),
            lambda text: parse_workflows(text) or None,
            RETRY_MESSAGE,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
        )
        parsed = answer.value or []
        notes: list[str] = []
        if answer.retried:
            notes.append("first workflow output had no readable workflow; retried once")
        if not parsed:
            notes.append("no workflow could be read from the output; stored none")
        short = [w.name for w in parsed if w.n_actions < 2]
        if short:
            notes.append(f"{len(short)} workflow(s) have fewer than two steps: {', '.join(short)}")
        if len(parsed) > self.max_workflows:
            notes.append(f"model returned {len(parsed)} workflows; kept the first {self.max_workflows}")
            parsed = parsed[: self.max_workflows]
        items: list[MemoryItem] = []
        dropped: list[Dropped] = []
        for w in parsed:
            try:
                items.append(
                    MemoryItem(title=w.name, description=w.description, content=w.body, origin="workflow")
                )
            except ValidationError as exc:
                dropped.append(Dropped(reason="invalid", title=w.name, detail=str(exc.errors()[0]["msg"])))
                notes.append(f"dropped an invalid workflow ({dropped[-1].detail})")
        return ExtractionResult(
            items=items,
            dropped=dropped,
            raw=answer.raw,
            note="; ".join(notes),
            usage=answer.usage,
            prompt_version=WORKFLOW_PROMPT_VERSION,
            attempts=answer.attempts,
            model=answer.model,
        )
