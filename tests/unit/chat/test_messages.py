"""Every sentence comes from the catalogue: no words typed inline, no key missing, none unused."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.chat.messages import EN, Messages, placeholders
from tests.python_source import parse_file

REPO = Path(__file__).resolve().parents[3]
CONVERSATION = sorted(p for p in (REPO / "core" / "chat").glob("*.py") if p.name != "messages.py")
SPEAKERS = [*CONVERSATION, REPO / "core" / "chat" / "messages.py", REPO / "core" / "reminders" / "ticker.py"]
# Keys built at run time from a code: f"refusal.{error.code}", f"undo.action.{action}", f"ordinal.{suffix}".
DYNAMIC_PREFIXES = ("refusal.", "undo.action.", "ordinal.")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _for_operators(tree: ast.AST) -> set[int]:
    """String constants inside log calls and programming errors: read by operators, not said to people."""
    ids = set()
    for node in ast.walk(tree):
        logged = (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and isinstance(node.func.value, ast.Name) and node.func.value.id == "logger")
        raised = (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ("TypeError", "ValueError", "RuntimeError"))
        if logged or raised:
            ids |= {id(sub) for sub in ast.walk(node)}
    return ids


def inline_sentences(path: Path) -> list[str]:
    """String constants in ``path`` that read like words for people (letters and a space)."""
    tree = parse_file(path)
    skip = _docstrings(tree) | _for_operators(tree)
    return [
        f"{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        and " " in node.value.strip() and any(ch.isalpha() for ch in node.value)
    ]


def string_constants(path: Path) -> set[str]:
    tree = parse_file(path)
    if path.name == "messages.py":
        # The catalogue itself names every key; only what its methods say counts as use.
        tree = ast.Module([n for n in tree.body if isinstance(n, ast.ClassDef)], [])
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


@pytest.mark.parametrize("path", CONVERSATION, ids=[p.name for p in CONVERSATION])
def test_the_conversation_types_no_sentence_of_its_own(path: Path) -> None:
    assert inline_sentences(path) == [], "put it in core/chat/messages.py and say it by key"


def test_the_inline_check_would_catch_a_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('"""Doc string here."""\nimport logging\nlogger = logging.getLogger(__name__)\n'
                   'def f():\n    """Doc too."""\n    logger.info("a log line")\n    return "Hello there"\n')
    assert inline_sentences(bad) == ["7: 'Hello there'"]


def test_every_key_in_the_catalogue_is_said_somewhere() -> None:
    used = set().union(*(string_constants(p) for p in SPEAKERS))
    unused = [key for key in EN if key not in used and not key.startswith(DYNAMIC_PREFIXES)]
    assert unused == []


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    named = set().union(*(string_constants(p) for p in SPEAKERS))
    # A key is a dotted lower-case word that the catalogue's own families use.
    families = {key.split(".")[0] for key in EN if "." in key}
    looks_like_key = {s for s in named if "." in s and s.split(".")[0] in families and " " not in s
                      and s.replace(".", "").replace("_", "").replace("-", "").isalnum() and not s.endswith(".")}
    assert sorted(looks_like_key - set(EN)) == []


@pytest.mark.parametrize("key", sorted(EN))
def test_every_sentence_fills_in_with_its_own_placeholders(key: str) -> None:
    values = {name: f"<{name}>" for name in placeholders(EN[key])}
    said = Messages()(key, **values)
    assert "{" not in said and "}" not in said


def test_a_translation_must_have_every_key() -> None:
    with pytest.raises(ValueError, match="lacks"):
        Messages({"song": "{title} — {artist}"})
    marked = Messages({key: "» " + text for key, text in EN.items()})
    said = marked("join.done", show="“Friday”")
    assert said == "» You're in “Friday”! Request a song with /request <title or artist>."
