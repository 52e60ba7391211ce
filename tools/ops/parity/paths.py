"""JSON paths: how a difference is named (``$.items[0].title``) and how rules select paths.

A concrete path is the list of keys and indexes from the document's root, as DeepDiff reports
it. A pattern is JSONPath's simple subset: ``$`` the root, ``.name`` or ``['name']`` a key,
``[3]`` an index, ``[*]`` or ``.*`` any one key or index, and ``..`` any depth (``$..updatedAt``
is an ``updatedAt`` key anywhere). Filters and slices are not needed for rules and not supported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

Element = str | int
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# One step of a pattern after `$` (or after `..`, which takes a name or `*` without its dot).
_STEP = re.compile(
    r"""(?P<any>\.\*|\[\*\])|\[(?P<index>\d+)\]|\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"""
    r"""|\['(?P<single>(?:[^'\\]|\\.)*)'\]|\["(?P<double>(?:[^"\\]|\\.)*)"\]"""
)
ANY = ("any",)
DEEP = ("deep",)
Token = tuple[str] | tuple[str, Element]


def render(path: Sequence[Element | None]) -> str:
    """``['items', 0, 'title']`` -> ``$.items[0].title``; ``None`` (any index) -> ``[*]``."""
    parts = ["$"]
    for element in path:
        if element is None:
            parts.append("[*]")
        elif isinstance(element, int):
            parts.append(f"[{element}]")
        elif _IDENTIFIER.fullmatch(element):
            parts.append(f".{element}")
        else:
            parts.append(f"[{json.dumps(element)}]")
    return "".join(parts)


def generalise(path: Sequence[Element]) -> str:
    """``$.items[0].title`` and ``$.items[7].title`` are both ``$.items[*].title``."""
    return render([None if isinstance(element, int) else element for element in path])


@dataclass(frozen=True)
class PathPattern:
    text: str
    tokens: tuple[Token, ...]

    def matches(self, path: Sequence[Element]) -> bool:
        return _match(self.tokens, tuple(path))

    def covers(self, path: Sequence[Element]) -> bool:
        """The pattern matches ``path`` or an ancestor: ignoring a key ignores its subtree."""
        return any(self.matches(path[:end]) for end in range(len(path) + 1))


def parse_pattern(text: str) -> PathPattern:
    """Parse a rule's path; ValueError with the reason when it is not one."""
    if not text.startswith("$"):
        raise ValueError(f"path {text!r} must start with $")
    tokens: list[Token] = []
    position = 1
    while position < len(text):
        if text.startswith("..", position):
            tokens.append(DEEP)
            # `..name` and `..*` carry no dot of their own: read them as `.name` / `.*`.
            position += 1
            if text.startswith(".[", position):
                position += 1
        step = _STEP.match(text, position)
        if step is None:
            raise ValueError(f"path {text!r}: cannot read {text[position:]!r}")
        tokens.append(_token(step))
        position = step.end()
    return PathPattern(text=text, tokens=tuple(tokens))


def _token(step: re.Match[str]) -> Token:
    if step.group("any"):
        return ANY
    if step.group("index") is not None:
        return ("index", int(step.group("index")))
    if step.group("name") is not None:
        return ("key", step.group("name"))
    quoted = step.group("single") if step.group("single") is not None else step.group("double")
    return ("key", re.sub(r"\\(.)", r"\1", quoted))


def _match(tokens: tuple[Token, ...], path: tuple[Element, ...]) -> bool:
    if not tokens:
        return not path
    head, rest = tokens[0], tokens[1:]
    if head == DEEP:
        return any(_match(rest, path[start:]) for start in range(len(path) + 1))
    if not path:
        return False
    element = path[0]
    if head == ANY:
        return _match(rest, path[1:])
    kind, value = head  # type: ignore[misc]
    if kind == "index":
        ok = isinstance(element, int) and element == value
    else:
        ok = isinstance(element, str) and element == value
    return ok and _match(rest, path[1:])
