"""Applying a parsed action to a MiniWoB++ page element with selenium.

Each function raises :class:`~reasoningbank.bench.envs.base.ActionError` for a
mistake the agent can fix (no such element, a text action on a button, a date
in the wrong format, an option the list does not have).
"""

from __future__ import annotations

import re
from typing import Any

from ..actions import ParsedAction
from ..base import ActionError

__all__ = ["apply_to_element", "find_element"]

_DATE_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_ISO_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def find_element(driver: Any, ref: int) -> Any:
    """The visible page element with the stable id ``ref``."""
    from selenium.webdriver.common.by import By

    found = driver.find_elements(By.CSS_SELECTOR, f'[data-rb-ref="{ref}"]')
    if not found:
        raise ActionError(f"there is no element with id {ref} on the page; use an id from the observation")
    el = found[0]
    if not el.is_displayed():
        raise ActionError(f"element {ref} is not visible any more")
    return el


def apply_to_element(driver: Any, a: ParsedAction) -> None:
    """Apply ``click``, ``type`` or ``select`` to the element ``a`` names."""
    assert a.element is not None
    el = find_element(driver, a.element)
    tag = str(el.tag_name).lower()
    itype = str(el.get_attribute("type") or "").lower()
    if a.name == "click":
        _click(driver, el)
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
            _set_date(driver, el, a.element, a.text)
        else:
            el.clear()
            el.send_keys(a.text)
    elif a.name == "select":
        assert a.text is not None
        _select(el, a.element, a.text)


def _click(driver: Any, el: Any) -> None:
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
    )

    try:
        el.click()
    except (ElementClickInterceptedException, ElementNotInteractableException):
        # Covered or off-screen elements: fall back to a DOM click.
        driver.execute_script("arguments[0].click();", el)


def _set_date(driver: Any, el: Any, ref: int, text: str) -> None:
    m = _DATE_RE.match(text)
    iso: str
    if m:
        iso = f"{int(m.group(3)):04d}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"
    else:
        m = _ISO_DATE_RE.match(text)
        if not m:
            raise ActionError(f"element {ref} is a date field; type a date as MM/DD/YYYY")
        iso = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        el,
        iso,
    )


def _select(el: Any, ref: int, option: str) -> None:
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
