"""The MiniWoB++ environment on real task pages in a real headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from reasoningbank.bench.envs.actions import parse_action
from reasoningbank.bench.envs.base import ActionError, Environment, Observation, TaskSpec
from reasoningbank.bench.envs.browser import find_chrome_binary, find_chromedriver

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        find_chrome_binary() is None or find_chromedriver() is None,
        reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
    ),
]

_LINE_RE = re.compile(r"^\[(\d+)\] (\S+)(?: ('(?:[^'\\]|\\.)*'))?(.*)$")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def element_id(obs: Observation, kind: str, *, text: str | None = None, attr_id: str | None = None) -> int:
    """The id of the first observation line of ``kind`` matching the text or html id."""
    for line in obs.text.splitlines():
        m = _LINE_RE.match(line)
        if not m or m.group(2) != kind:
            continue
        shown = _unquote(m.group(3)) if m.group(3) else None
        if text is not None and (shown or "").lower() != text.lower():
            continue
        if attr_id is not None and f"name='{attr_id}'" not in m.group(4).split():
            continue
        return int(m.group(1))
    raise AssertionError(f"no {kind} text={text!r} id={attr_id!r} in:\n{obs.text}")


def quoted(goal: str) -> list[str]:
    return re.findall(r'"([^"]*)"', goal)


@pytest.fixture(scope="module")
def env() -> Iterator[Environment]:
    from reasoningbank.bench.envs.miniwob.env import MiniWoBEnv

    with MiniWoBEnv() as e:
        yield e


def test_is_an_environment(env: Environment) -> None:
    assert isinstance(env, Environment)


def test_click_button_solved(env: Environment) -> None:
    obs = env.reset(TaskSpec("click-button", 3))
    (label,) = quoted(obs.goal)
    assert obs.goal.startswith("Click on the")
    assert not obs.done
    obs = env.step(f"click({element_id(obs, 'button', text=label)})")
    assert obs.done
    assert env.evaluate() == 1.0
    assert obs.info["raw_reward"] > 0


def test_enter_text_solved_and_ids_stable(env: Environment) -> None:
    obs = env.reset(TaskSpec("enter-text", 5))
    (word,) = quoted(obs.goal)
    field = element_id(obs, "input_text")
    submit = element_id(obs, "button", text="Submit")
    obs = env.step(f'type({field}, "{word}")')
    assert not obs.done
    # same ids after the page changed, and the typed value is visible
    assert element_id(obs, "input_text") == field
    assert element_id(obs, "button", text="Submit") == submit
    assert f"value='{word}'" in obs.text
    obs = env.step(f"click({submit})")
    assert obs.done
    assert env.evaluate() == 1.0


def test_login_user_solved(env: Environment) -> None:
    obs = env.reset(TaskSpec("login-user", 11))
    user, password = quoted(obs.goal)
    env.step(f'type({element_id(obs, "input_text", attr_id="username")}, "{user}")')
    env.step(f'type({element_id(obs, "input_password", attr_id="password")}, "{password}")')
    obs = env.step(f"click({element_id(obs, 'button', text='Login')})")
    assert obs.done
    assert env.evaluate() == 1.0


def test_wrong_sequence_scores_zero(env: Environment) -> None:
    obs = env.reset(TaskSpec("enter-text", 5))
    obs = env.step(f"click({element_id(obs, 'button', text='Submit')})")  # submit before typing
    assert obs.done
    assert obs.info["target"].startswith("button 'Submit'")  # what click(N) acted on
    assert env.evaluate() == 0.0
    assert obs.info["raw_reward"] < 0
    after = env.step("done()")  # the end is reported, not raised: retrying cannot help
    assert after.done and after.error is not None and "already over" in after.error


def test_same_seed_same_instance(env: Environment) -> None:
    a = env.reset(TaskSpec("click-button", 7))
    b = env.reset(TaskSpec("click-button", 7))
    assert a.goal == b.goal and a.text == b.text
    goals = {env.reset(TaskSpec("enter-text", s)).goal for s in range(4)}
    assert len(goals) > 1


def test_invalid_actions_raise_without_ending(env: Environment) -> None:
    obs = env.reset(TaskSpec("enter-text", 2))
    with pytest.raises(ActionError, match="no element with id 999"):
        env.step("click(999)")
    with pytest.raises(ActionError, match="cannot parse"):
        env.step("please click the button")
    with pytest.raises(ActionError, match="not a text field"):
        env.step(f'type({element_id(obs, "button", text="Submit")}, "x")')
    assert not env.step(f'type({element_id(obs, "input_text")}, "x")').done
    assert env.evaluate() == 0.0


def test_done_ends_episode_without_reward(env: Environment) -> None:
    env.reset(TaskSpec("click-button", 1))
    obs = env.step('answer("nothing")')
    assert obs.done and obs.info["agent_done"] and obs.info["answer"] == "nothing"
    assert env.evaluate() == 0.0


def test_select_and_date_and_link(env: Environment) -> None:
    obs = env.reset(TaskSpec("choose-list", 4))
    item = re.search(r"Select (.+) from the list", obs.goal)
    assert item
    obs = env.step(f'select({element_id(obs, "select")}, "{item.group(1)}")')
    assert f"value='{item.group(1)}'" in obs.text
    env.step(f"click({element_id(obs, 'button', text='Submit')})")
    assert env.evaluate() == 1.0

    obs = env.reset(TaskSpec("enter-date", 4))
    date = re.search(r"(\d\d/\d\d/\d{4})", obs.goal)
    assert date
    env.step(f'type({element_id(obs, "input_date")}, "{date.group(1)}")')
    env.step(f"click({element_id(obs, 'button', text='Submit')})")
    assert env.evaluate() == 1.0

    obs = env.reset(TaskSpec("click-link", 4))
    (word,) = quoted(obs.goal)
    env.step(f"click({element_id(obs, 'link', text=word)})")
    assert env.evaluate() == 1.0


def test_unknown_family_is_named() -> None:
    from reasoningbank.bench.envs.miniwob.env import MiniWoBEnv

    env = MiniWoBEnv()  # the browser starts lazily, so this costs nothing
    with pytest.raises(ValueError, match="no-such-task"):
        env.reset(TaskSpec("no-such-task", 0))
    env.close()


def test_action_parser_round_trip() -> None:
    a = parse_action('  type( [3] , "say \\"hi\\"" ) ')
    assert (a.name, a.element, a.text) == ("type", 3, 'say "hi"')
    assert a.render() == 'type(3, "say \\"hi\\"")'
    assert parse_action("`click(4)`").element == 4
    assert parse_action("select(2, 'Blue')").text == "Blue"
    assert parse_action("DONE()").name == "done"
    assert parse_action('submit("42")') == parse_action('answer("42")')  # the old name still reads
    for bad, msg in [
        ("", "empty"),
        ("scroll(3)", "unknown action"),
        ("click(abc)", "element id"),
        ("type(3)", "missing the text"),
        ('click(3, "x")', "extra arguments"),
        ("answer(42)", "quoted string"),
    ]:
        with pytest.raises(ActionError, match=msg):
            parse_action(bad)


def test_episode_time_limit_is_configurable(env: Environment) -> None:
    import time

    from reasoningbank.bench.envs.miniwob.env import MiniWoBEnv

    assert isinstance(env, MiniWoBEnv)
    saved = env.episode_time_limit_ms
    env.episode_time_limit_ms = 150
    try:
        env.reset(TaskSpec("click-button", 3))
        time.sleep(0.4)
        late = env.step("click(1)")
        assert late.done and late.error is not None and "already over" in late.error
        assert env.evaluate() == 0.0
    finally:
        env.episode_time_limit_ms = saved
    # the default limit is effectively unlimited: a slow agent is not cut off
    env.reset(TaskSpec("click-button", 3))
    time.sleep(0.4)
    assert not env.step("done()").info["episode_ended"]


def test_non_interactable_element_is_an_action_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Selenium refusing an element (hidden, disabled) is the agent's mistake: it gets a message."""
    from selenium.common.exceptions import ElementNotInteractableException

    from reasoningbank.bench.envs.miniwob.env import MiniWoBEnv

    env = MiniWoBEnv()  # no browser is started: _apply is replaced

    def refuse(parsed: object) -> None:
        raise ElementNotInteractableException("element not interactable")

    monkeypatch.setattr(env, "_apply", refuse)
    monkeypatch.setattr(env, "_is_over", lambda: False)
    monkeypatch.setattr(env, "_describe", lambda ref: None)
    env._task = TaskSpec("enter-text", 0)
    with pytest.raises(ActionError, match=r'type\(3, "x"\) failed: element 3 cannot be used'):
        env.step('type(3, "x")')
