from reasoningbank.extract.items import is_placeholder
from reasoningbank.text.clean import printable_text, safe_text, storable_text


def test_safe_text_replaces_lone_surrogates_and_keeps_clean_text() -> None:
    assert safe_text("plain é") == "plain é"
    fixed = safe_text("a\ud800b")
    assert fixed.encode("utf-8") and fixed.startswith("a") and fixed.endswith("b")


def test_storable_text_replaces_lone_surrogates_and_nuls_and_keeps_the_rest() -> None:
    assert (
        storable_text("a\x00b\ud800c \U0001f600 \x1b[31m \\u0000")
        == "a\ufffdb\ufffdc \U0001f600 \x1b[31m \\u0000"
    )
    assert storable_text("plain é") == "plain é"


def test_printable_text_drops_controls_and_bidi_overrides_but_keeps_layout() -> None:
    assert printable_text("x\x00y\x1b[31m\u202ez\n\tw") == "xy[31mz\n\tw"


def test_placeholders_are_recognised() -> None:
    for text in ["null", " N/A ", "<title>", "...", "**TBD**", ""]:
        assert is_placeholder(text), text
    assert not is_placeholder("Type the username before the password")


def test_clean_reply_defuses_escaped_lone_surrogates_and_nuls_and_keeps_pairs() -> None:
    import json

    from reasoningbank.text.clean import clean_reply

    reply = clean_reply(
        '{"t": "ok \\udfff \\ud83d\\ude00 \\u0000 \\\\udfff \\\\\\ud800 \\u00e9", "n": "a\x00\ud800"}'
    )
    decoded = json.loads(reply)
    assert decoded == {"t": "ok \ufffd \U0001f600 \ufffd \\udfff \\\ufffd é", "n": "a\ufffd\ufffd"}
    assert clean_reply("plain text") == "plain text"
