"""What the agent sees of a MiniWoB++ page: the element listing script and its text format.

:data:`LIST_JS` walks the page, gives every listed element a stable id and
returns a description of each; :func:`format_element` turns one description
into an observation line such as ``[5] button 'Submit'``. :data:`STATE_JS`
reads MiniWoB's episode state (done, rewards, reason).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LIST_JS", "SKIP_IDS", "STATE_JS", "TEXT_LIMIT", "format_element"]

SKIP_IDS = ("reward-display", "sync-task-cover", "click-canvas", "query")

# Walks the page, gives every listed element a stable ``data-rb-ref`` and
# returns a description of each. Ids persist on the element; the page is
# reloaded at every reset, so numbering restarts at 1 for each episode.
LIST_JS = r"""
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

STATE_JS = (
    "return {done: WOB_DONE_GLOBAL, reward: WOB_REWARD_GLOBAL,"
    " raw_reward: WOB_RAW_REWARD_GLOBAL, reason: WOB_REWARD_REASON};"
)

TEXT_LIMIT = 100


def _q(s: str) -> str:
    """Quote page text with single quotes: models copy the observation's quoting into
    their replies, and an unescaped double quote ends a JSON string early."""
    if len(s) > TEXT_LIMIT:
        s = s[: TEXT_LIMIT - 3] + "..."
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
