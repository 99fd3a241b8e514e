"""Strict YAML: a node tree where every value keeps the line and column it came from.

PyYAML's ``safe_load`` throws positions away, keeps the last of two duplicate keys and reads
``on``/``yes`` as booleans and ``2026-11-01`` as a date without a word. HR cannot see any of that
in their editor, so we compose the raw node graph ourselves and report each trap at its position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import yaml

__all__ = ["INVALID", "YNode", "compose", "to_plain"]

# A scalar already reported as a YAML trap: the schema walker accepts it silently so one mistake
# gives one issue, not a second "wrong type" issue at the same spot.
INVALID: Final = object()

_BOOL_TRAPS: Final = {
    "yes": True,
    "y": True,
    "on": True,
    "no": False,
    "n": False,
    "off": False,
}
_TAG = "tag:yaml.org,2002:"
_MAX_NODES: Final = 200_000  # alias expansion ("billion laughs") must not hang validation


@dataclass(slots=True, eq=False)
class YNode:
    """One YAML node: ``kind`` is "map", "seq" or "scalar".

    ``value`` is, for a map, ``{key text: (key node, value node)}``; for a seq, a list of nodes;
    for a scalar, the Python value (str, int, float, bool, None) or ``INVALID``.
    ``raw`` is the scalar's source text, ``quoted`` whether it was written in quotes.
    """

    kind: str
    value: Any
    line: int
    col: int
    raw: str = ""
    quoted: bool = False
    style: str | None = None


Issue = tuple[int, int, str]


class _Composer:
    """Turns PyYAML nodes into YNodes, collecting trap issues as (line, col, message)."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self._seen = 0
        self._constructor = yaml.SafeLoader("")

    def node(self, node: yaml.Node, depth: int = 0) -> YNode:
        self._seen += 1
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if self._seen > _MAX_NODES or depth > 100:
            if self._seen == _MAX_NODES + 1 or depth == 101:
                self.issues.append((line, col, "document too large or too deeply nested"))
            return YNode("scalar", INVALID, line, col)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, line, col, depth)
        if isinstance(node, yaml.SequenceNode):
            items = [self.node(item, depth + 1) for item in node.value]
            return YNode("seq", items, line, col)
        if not isinstance(node, yaml.ScalarNode):  # pragma: no cover - PyYAML composes only these
            raise TypeError(f"unexpected YAML node {type(node).__name__}")
        return self._scalar(node, line, col, is_key=False)

    def _mapping(self, node: yaml.MappingNode, line: int, col: int, depth: int) -> YNode:
        entries: dict[str, tuple[YNode, YNode]] = {}
        for key_node, value_node in node.value:
            value = self.node(value_node, depth + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                kl, kc = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                self.issues.append((kl, kc, "a key must be a plain name, not a list or mapping"))
                continue
            key = self._scalar(
                key_node, key_node.start_mark.line + 1, key_node.start_mark.column + 1, is_key=True
            )
            if key.value is INVALID:
                continue  # trap already reported; an "unknown key" issue would only repeat it
            text = key.raw
            if text in entries:
                first = entries[text][0]
                self.issues.append(
                    (
                        key.line,
                        key.col,
                        f'duplicate key "{text}" (first at line {first.line}); '
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            entries[text] = (key, value)
        return YNode("map", entries, line, col)

    def _scalar(self, node: yaml.ScalarNode, line: int, col: int, *, is_key: bool) -> YNode:
        raw = node.value
        quoted = node.style in ("'", '"')
        tag = node.tag[len(_TAG) :] if node.tag.startswith(_TAG) else node.tag
        result = YNode("scalar", raw, line, col, raw=raw, quoted=quoted, style=node.style)
        plain = node.style is None
        if plain and raw.lower() in _BOOL_TRAPS:
            as_bool = "true" if _BOOL_TRAPS[raw.lower()] else "false"
            self.issues.append(
                (
                    line,
                    col,
                    f"`{raw}` is read by YAML as the boolean {as_bool}; "
                    f'quote it ("{raw}") or use true/false',
                )
            )
            result.value = INVALID
            return result
        if tag == "timestamp":
            what = "date" if len(raw.strip()) <= 10 else "timestamp"
            self.issues.append(
                (line, col, f'unquoted {what} {raw} is read by YAML as a {what}; quote it: "{raw}"')
            )
            result.value = INVALID
            return result
        if is_key or tag == "str":
            return result  # keys are names: keep the text exactly as written
        if tag in ("int", "float", "bool", "null"):
            result.value = self._constructor.yaml_constructors[node.tag](self._constructor, node)
            return result
        self.issues.append((line, col, f"unsupported YAML tag {node.tag}"))
        result.value = INVALID
        return result


def compose(text: str) -> tuple[YNode | None, list[Issue]]:
    """Parse ``text`` into a YNode tree plus trap issues; a syntax error gives one issue and None."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context}"
            if exc.context_mark and exc.context_mark is not mark:
                problem += f" at line {exc.context_mark.line + 1}"
            problem += ")"
        if "\t" in text and "'\\t'" in problem:
            problem += "; use spaces, not tabs, to indent"
        return None, [(line, col, f"YAML syntax error: {problem}")]
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors without marks
        return None, [(1, 1, f"YAML error: {exc}")]
    if root is None:
        return None, []
    composer = _Composer()
    return composer.node(root), composer.issues


def to_plain(node: YNode) -> Any:
    """The plain Python value of a node (maps become dicts keyed by their text)."""
    if node.kind == "map":
        return {key: to_plain(value) for key, (_, value) in node.value.items()}
    if node.kind == "seq":
        return [to_plain(item) for item in node.value]
    return None if node.value is INVALID else node.value
