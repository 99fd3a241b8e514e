"""Conditions (`when:`): one tree, two ways to write it, never executed as code.

HR writes either a mapping (``{owner: {in: [company, colleague]}}``) or a short expression string
(``"audience >= 100 and not suspected_bot"``). Both become the same small tree of comparisons, which
is type-checked against the event type's fields and later turned into Python source by the compiler
from validated names and constants only. The string form goes through ``ast.parse`` and an allow
list; anything else (calls, attributes, subscripts, lambdas, ...) is an issue, not a feature.

A comparison's right side is a constant or another field of the same event (a ``Ref``):
``{candidate_id: {ne: {field: referrer}}}`` or ``"candidate_id != referrer"``; both fields have the same
type, and only numbers are ordered.
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from rules._fields import FieldSpec, describe_value, is_number, person_ref
from rules._report import Issues, unknown_name
from rules._yaml import INVALID, YNode

__all__ = [
    "OPERATORS",
    "RESERVED_NAMES",
    "AllOf",
    "AnyOf",
    "Cmp",
    "Cond",
    "NotOf",
    "Ref",
    "condition_fields",
    "evaluate",
    "parse_condition",
    "render",
    "to_python",
    "valid_field_name",
    "why_not",
]

OPERATORS: Final = ("eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists")
RESERVED_NAMES: Final = frozenset({"all", "any", "not", "expr", "true", "false", "exists"})
_ORDERING: Final = frozenset({"gt", "gte", "lt", "lte"})
_SYMBOL: Final = {"eq": "==", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_AST_OPS: Final = {
    ast.Eq: "eq",
    ast.NotEq: "ne",
    ast.Gt: "gt",
    ast.GtE: "gte",
    ast.Lt: "lt",
    ast.LtE: "lte",
    ast.In: "in",
    ast.NotIn: "not_in",
}
_FLIPPED: Final = {"eq": "eq", "ne": "ne", "gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte"}
_FORBIDDEN: Final = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "subscripts (a[...])",
    ast.Lambda: "lambda",
    ast.BinOp: "arithmetic",
    ast.IfExp: "if/else expressions",
    ast.Dict: "dicts",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment (:=)",
    ast.Starred: "starred expressions",
    ast.Await: "await",
}


class Ref(msgspec.Struct, frozen=True):
    """Another field of the same event as a comparison's value: ``candidate_id != referrer``.

    ``person``: one side or both name a person (``person: true``), so both are compared as
    ``person_ref`` makes them (trimmed, emails case-folded).
    """

    field: str
    person: bool = False


class Cmp(msgspec.Struct, frozen=True):
    """``field <op> value``; for in/not_in the value is a tuple, for exists a bool; a ``Ref`` names
    another field (eq, ne and, for numbers, the orderings)."""

    field: str
    op: str
    value: Any


class AllOf(msgspec.Struct, frozen=True):
    items: tuple[Cond, ...]


class AnyOf(msgspec.Struct, frozen=True):
    items: tuple[Cond, ...]


class NotOf(msgspec.Struct, frozen=True):
    item: Cond


Cond = Cmp | AllOf | AnyOf | NotOf


# ---------------------------------------------------------------------------------------------
# parsing


class _Parser:
    """Parses one `when` against one event type's fields, reporting into ``issues``."""

    def __init__(self, fields: Mapping[str, FieldSpec], event_type: str, issues: Issues) -> None:
        self.fields = fields
        self.event_type = event_type
        self.issues = issues

    # -- mapping form ------------------------------------------------------------------------

    def node(self, node: YNode) -> Cond | None:
        if node.kind == "scalar":
            if node.value is INVALID:
                return None
            if isinstance(node.value, str):
                return self.expression(node)
            self.issues.at(
                node,
                f"expected a condition (a mapping or an expression string), "
                f"got {describe_value(node.value)}",
            )
            return None
        if node.kind == "seq":
            self.issues.at(
                node,
                "expected a condition, got a list; use {all: [...]} or "
                "{any: [...]} to combine conditions",
            )
            return None
        if not node.value:
            self.issues.at(node, "empty condition")
            return None
        parts: list[Cond | None] = []
        for key, (key_node, value) in node.value.items():
            if key in ("all", "any"):
                parts.append(self._group(key, value))
            elif key == "not":
                inner = self.node(value)
                parts.append(NotOf(inner) if inner is not None else None)
            elif key == "expr":
                if value.kind == "scalar" and isinstance(value.value, str):
                    parts.append(self.expression(value))
                elif value.value is not INVALID:
                    self.issues.at(value, "expr: expected an expression string")
                    parts.append(None)
            else:
                parts.append(self._field_test(key, key_node, value))
        return _combine(AllOf, parts)

    def _group(self, key: str, value: YNode) -> Cond | None:
        if value.kind != "seq" or not value.value:
            self.issues.at(value, f"{key}: expected a non-empty list of conditions")
            return None
        items = [self.node(item) for item in value.value]
        return _combine(AllOf if key == "all" else AnyOf, items)

    def _field_test(self, name: str, key_node: YNode, value: YNode) -> Cond | None:
        spec = self.field(name, key_node.line, key_node.col)
        if value.kind == "seq":
            self.issues.at(
                value,
                f"{name}: expected one value; to match any of several "
                f"use {{{name}: {{in: [...]}}}}",
            )
            return None
        if value.kind == "scalar":
            if spec is None or value.value is INVALID:
                return None
            return self.compare(spec, "eq", value.value, value.line, value.col)
        parts: list[Cond | None] = []
        for op, (op_node, operand) in value.value.items():
            if op not in OPERATORS:
                self.issues.at(op_node, unknown_name("operator", op, OPERATORS, f"for {name}"))
                parts.append(None)
                continue
            if spec is None or operand.value is INVALID:
                parts.append(None)
                continue
            if operand.kind == "map" and "field" in operand.value:
                parts.append(self._field_operand(spec, op, operand))
                continue
            if op in ("in", "not_in"):
                if operand.kind != "seq" or any(i.kind != "scalar" for i in operand.value):
                    self.issues.at(operand, f"{name} {op}: expected a list of values")
                    parts.append(None)
                    continue
                if any(i.value is INVALID for i in operand.value):
                    parts.append(None)
                    continue
                values = tuple(i.value for i in operand.value)
                parts.append(self.compare(spec, op, values, operand.line, operand.col))
            elif operand.kind != "scalar":
                other = " or {field: another_field}" if op in _SYMBOL else ""
                self.issues.at(operand, f"{name} {op}: expected a single value{other}")
                parts.append(None)
            else:
                parts.append(self.compare(spec, op, operand.value, operand.line, operand.col))
        if not value.value:
            self.issues.at(value, f"{name}: empty condition")
        return _combine(AllOf, parts)

    def _field_operand(self, spec: FieldSpec, op: str, operand: YNode) -> Cond | None:
        """``{ne: {field: referrer}}``: the comparison with another field of the event."""
        name = spec.name
        if len(operand.value) != 1:
            self.issues.at(operand, f"{name} {op}: expected {{field: another_field}} alone")
            return None
        if op not in _SYMBOL:
            self.issues.at(
                operand, f"{name} {op}: cannot take a field; only ==, !=, >, >=, <, <= compare two"
            )
            return None
        _, other = operand.value["field"]
        if other.value is INVALID:
            return None
        if other.kind != "scalar" or not isinstance(other.value, str):
            self.issues.at(other, f"{name} {op}: field: expected a field name")
            return None
        other_spec = self.field(other.value, other.line, other.col)
        if other_spec is None:
            return None
        return self.compare_fields(spec, op, other_spec, other.line, other.col)

    # -- checks shared by both forms ---------------------------------------------------------

    def field(self, name: str, line: int, col: int) -> FieldSpec | None:
        spec = self.fields.get(name)
        if spec is None:
            self.issues.add(
                line,
                col,
                unknown_name("field", name, self.fields, f"for event type {self.event_type}"),
            )
        return spec

    def compare(self, spec: FieldSpec, op: str, value: Any, line: int, col: int) -> Cmp | None:
        problem = _type_problem(spec, op, value)
        if problem:
            self.issues.add(line, col, problem)
            return None
        if op in ("in", "not_in"):
            value = tuple(value)
        return Cmp(spec.name, op, value)

    def compare_fields(
        self, spec: FieldSpec, op: str, other: FieldSpec, line: int, col: int
    ) -> Cmp | None:
        problem = _fields_problem(spec, op, other)
        if problem:
            self.issues.add(line, col, problem)
            return None
        return Cmp(spec.name, op, Ref(other.name, spec.person or other.person))

    # -- expression form ---------------------------------------------------------------------

    def expression(self, node: YNode) -> Cond | None:
        text: str = node.value
        self._base = (node.line, node.col + (1 if node.quoted else 0))
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            line, col = self._base
            col += max((exc.offset or 1) - 1, 0) + (len(text) - len(text.lstrip()))
            hint = "; use == to compare" if "=" in text and "==" not in text else ""
            self.issues.add(line, col, f"cannot read condition {text.strip()!r}: {exc.msg}{hint}")
            return None
        self._indent = len(text) - len(text.lstrip())
        return self._expr(tree.body)

    def _pos(self, n: ast.AST) -> tuple[int, int]:
        line, col = self._base
        lineno, offset = getattr(n, "lineno", 1), getattr(n, "col_offset", 0)
        if lineno == 1:
            return line, col + offset + self._indent
        return line + lineno - 1, offset + 1

    def _reject(self, n: ast.AST, what: str) -> None:
        line, col = self._pos(n)
        self.issues.add(line, col, f"{what} is not allowed in a condition")

    def _expr(self, n: ast.expr) -> Cond | None:
        if isinstance(n, ast.BoolOp):
            items = [self._expr(v) for v in n.values]
            return _combine(AllOf if isinstance(n.op, ast.And) else AnyOf, items)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            inner = self._expr(n.operand)
            return NotOf(inner) if inner is not None else None
        if isinstance(n, ast.Compare):
            return self._compare(n)
        if isinstance(n, ast.Name):
            if n.id in ("true", "false", "null"):
                self._reject(n, f"the constant {n.id} on its own")
                return None
            spec = self.field(n.id, *self._pos(n))
            if spec is None:
                return None
            if spec.type != "bool":
                line, col = self._pos(n)
                self.issues.add(
                    line,
                    col,
                    f"{n.id} is {_type_name(spec)}; a bare field name "
                    f"means {n.id} == true and needs a bool field",
                )
                return None
            return Cmp(n.id, "eq", True)
        if isinstance(n, ast.Call):
            return self._call(n)
        if isinstance(n, ast.Constant):
            self._reject(n, f"the constant {n.value!r} on its own")
            return None
        self._reject_node(n)
        return None

    def _reject_node(self, n: ast.expr) -> None:
        """Name the construct HR used, so the message says what to remove."""
        if isinstance(n, ast.Call):
            name = n.func.id if isinstance(n.func, ast.Name) else ast.unparse(n.func)
            line, col = self._pos(n)
            self.issues.add(
                line,
                col,
                f"calling {name}() is not allowed in a condition; "
                "the only function is exists(field)",
            )
        else:
            self._reject(n, _FORBIDDEN.get(type(n), f"{type(n).__name__} syntax"))

    def _call(self, n: ast.Call) -> Cond | None:
        if not (isinstance(n.func, ast.Name) and n.func.id == "exists"):
            self._reject_node(n)
            return None
        if n.keywords or len(n.args) != 1 or not isinstance(n.args[0], ast.Name):
            self._reject(n, "exists() with anything but one field name")
            return None
        spec = self.field(n.args[0].id, *self._pos(n.args[0]))
        return Cmp(spec.name, "exists", True) if spec is not None else None

    def _compare(self, n: ast.Compare) -> Cond | None:
        parts: list[Cond | None] = []
        left = n.left
        for op_node, right in zip(n.ops, n.comparators, strict=True):
            parts.append(self._pair(left, _AST_OPS.get(type(op_node)), right, op_node, n))
            left = right
        return _combine(AllOf, parts)

    def _pair(
        self,
        left: ast.expr,
        op: str | None,
        right: ast.expr,
        op_node: ast.cmpop,
        whole: ast.Compare,
    ) -> Cond | None:
        if op is None:  # `is`, `is not`
            self._reject(whole, f"the operator {type(op_node).__name__} (use == or !=)")
            return None
        words = ("true", "false", "null")
        field_node: ast.Name
        const_node: ast.expr
        if (
            isinstance(left, ast.Name)
            and isinstance(right, ast.Name)
            and left.id not in words
            and right.id not in words
        ):
            if left.id in self.fields and right.id in self.fields:
                return self._pair_of_fields(left, op, right, whole)
            # One name is no field: it is a value missing its quotes (stage == submitted), so it is
            # read as a constant and told to quote it.
            if right.id in self.fields and op in _FLIPPED:
                field_node, const_node, op = right, left, _FLIPPED[op]
            else:
                field_node, const_node = left, right
        elif isinstance(left, ast.Name) and left.id not in words:
            field_node, const_node = left, right
        elif isinstance(right, ast.Name) and op in _FLIPPED and right.id not in words:
            field_node, const_node, op = right, left, _FLIPPED[op]
        else:
            for side in (left, right):
                if not isinstance(
                    side, ast.Name | ast.Constant | ast.List | ast.Tuple | ast.Set | ast.UnaryOp
                ):
                    self._reject_node(side)
                    return None
            self._reject(whole, "a comparison without exactly one field name")
            return None
        ok, value = self._constant(const_node, many=op in ("in", "not_in"))
        if not ok:
            return None
        spec = self.field(field_node.id, *self._pos(field_node))
        if spec is None:
            return None
        return self.compare(spec, op, value, *self._pos(const_node))

    def _pair_of_fields(
        self, left: ast.Name, op: str, right: ast.Name, whole: ast.Compare
    ) -> Cond | None:
        if op not in _SYMBOL:
            self._reject(whole, f"`{'in' if op == 'in' else 'not in'}` with a field on the right")
            return None
        spec = self.field(left.id, *self._pos(left))
        other = self.field(right.id, *self._pos(right))
        if spec is None or other is None:
            return None
        return self.compare_fields(spec, op, other, *self._pos(right))

    def _constant(self, n: ast.expr, *, many: bool) -> tuple[bool, Any]:
        if many:
            if not isinstance(n, ast.List | ast.Tuple | ast.Set):
                self._reject(n, "`in` with anything but a list of values ([...])")
                return False, None
            values = [self._constant(e, many=False) for e in n.elts]
            if not all(ok for ok, _ in values):
                return False, None
            return True, tuple(v for _, v in values)
        if isinstance(n, ast.Constant) and isinstance(n.value, str | int | float | bool):
            return True, n.value
        if isinstance(n, ast.Name) and n.id in ("true", "false"):
            return True, n.id == "true"
        if (
            isinstance(n, ast.UnaryOp)
            and isinstance(n.op, ast.USub | ast.UAdd)
            and isinstance(n.operand, ast.Constant)
            and is_number(n.operand.value)
        ):
            return True, -n.operand.value if isinstance(n.op, ast.USub) else n.operand.value
        if isinstance(n, ast.Constant | ast.Name) and getattr(n, "id", None) in (None, "null"):
            self._reject(n, "null / None (use exists(field) to test for a missing field)")
            return False, None
        if isinstance(n, ast.Name) and n.id.lower() in ("yes", "no", "on", "off", "y", "n"):
            line, col = self._pos(n)
            self.issues.add(
                line,
                col,
                f"`{n.id}` is not a value in a condition; write true or "
                f"false, or quote a string: '{n.id}'",
            )
            return False, None
        if isinstance(n, ast.Name):
            line, col = self._pos(n)
            self.issues.add(
                line,
                col,
                unknown_name("field", n.id, self.fields, f"for event type {self.event_type}")
                + f"; to compare with the text, quote it: '{n.id}'",
            )
            return False, None
        self._reject_node(n)
        return False, None


def _combine(kind: type[AllOf] | type[AnyOf], parts: list[Cond | None]) -> Cond | None:
    # Any invalid part makes the whole condition invalid (its issue is already reported).
    if not parts or any(p is None for p in parts):
        return None
    items: list[Cond] = [p for p in parts if p is not None]
    return items[0] if len(items) == 1 else kind(tuple(items))


def _type_name(spec: FieldSpec) -> str:
    return "an enum" if spec.type == "enum" else ("an int" if spec.type == "int" else spec.type)


def _const_text(value: Any) -> str:
    if isinstance(value, str):
        return f'string "{value}"'
    if isinstance(value, bool):
        return f"bool {'true' if value else 'false'}"
    if value is None:
        return "null"
    if is_number(value):
        return f"number {value}"
    return describe_value(value)


def _type_problem(spec: FieldSpec, op: str, value: Any) -> str | None:
    """Why ``field <op> value`` makes no sense for this field type, or None."""
    name = spec.name
    if op == "exists":
        return None if isinstance(value, bool) else f"{name} exists: expected true or false"
    if op in ("in", "not_in"):
        for item in value:
            problem = _type_problem(spec, "eq", item)
            if problem:
                return problem
        return None
    if value is None:
        return f"{name}: null is not a value; use {{exists: false}} to test for a missing field"
    kind = spec.type
    if kind == "datetime":
        return f"{name} is datetime; only exists can test it"
    if op in _ORDERING and kind in ("string", "enum", "bool"):
        return f"{name} is {_type_name(spec)}; {_SYMBOL[op]} needs a number field"
    if kind in ("int", "number"):
        ok = is_number(value)
    elif kind == "bool":
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        return f"{name} is {_type_name(spec)}; cannot compare with {_const_text(value)}"
    if kind == "enum" and value not in spec.enum:
        return f'"{value}" is not a value of {name}; expected one of: {", ".join(spec.enum)}'
    return None


def _fields_problem(spec: FieldSpec, op: str, other: FieldSpec) -> str | None:
    """Why ``field <op> other_field`` makes no sense for these two fields, or None."""
    name = spec.name
    if name == other.name:
        return f"{name} is compared with itself"
    for side in (spec, other):
        if side.type == "datetime":
            return f"{side.name} is datetime; only exists can test it"
    numbers = ("int", "number")
    if op in _ORDERING:
        for side in (spec, other):
            if side.type not in numbers:
                return f"{side.name} is {_type_name(side)}; {_SYMBOL[op]} needs number fields"
        return None
    if spec.type == other.type or (spec.type in numbers and other.type in numbers):
        return None
    return (
        f"{name} is {_type_name(spec)} and {other.name} is {_type_name(other)}; "
        "a field is compared only with a field of the same type"
    )


def parse_condition(
    node: YNode, fields: Mapping[str, FieldSpec], event_type: str, issues: Issues
) -> Cond | None:
    """The validated tree of a `when` node, or None after reporting its issues."""
    return _Parser(fields, event_type, issues).node(node)


def valid_field_name(name: str) -> bool:
    """Field names must be usable in expressions: identifiers, not keywords, not reserved."""
    return name.isidentifier() and not keyword.iskeyword(name) and name not in RESERVED_NAMES


# ---------------------------------------------------------------------------------------------
# using a tree


def condition_fields(cond: Cond) -> list[str]:
    """Fields a condition reads, in first-use order."""
    seen: dict[str, None] = {}

    def walk(c: Cond) -> None:
        if isinstance(c, Cmp):
            seen.setdefault(c.field)
            if isinstance(c.value, Ref):
                seen.setdefault(c.value.field)
        elif isinstance(c, NotOf):
            walk(c.item)
        else:
            for item in c.items:
                walk(item)

    walk(cond)
    return list(seen)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    return repr(value)


def render(cond: Cond) -> str:
    """The condition in expression syntax, for explanations: 'owner in ["company", "x"]'."""
    if isinstance(cond, Cmp):
        if cond.op == "exists":
            return f"exists({cond.field})" if cond.value else f"not exists({cond.field})"
        if isinstance(cond.value, Ref):
            return f"{cond.field} {_SYMBOL[cond.op]} {cond.value.field}"
        if isinstance(cond.value, bool) and cond.op in ("eq", "ne"):
            truthy = cond.value == (cond.op == "eq")
            return cond.field if truthy else f"not {cond.field}"
        symbol = {"in": "in", "not_in": "not in"}.get(cond.op) or _SYMBOL[cond.op]
        return f"{cond.field} {symbol} {_value_text(cond.value)}"
    if isinstance(cond, NotOf):
        inner = render(cond.item)
        return f"not {inner}" if isinstance(cond.item, Cmp) else f"not ({inner})"
    joiner = " and " if isinstance(cond, AllOf) else " or "
    return joiner.join(
        f"({render(c)})" if isinstance(c, AllOf | AnyOf) else render(c) for c in cond.items
    )


def evaluate(cond: Cond, attributes: Mapping[str, Any]) -> bool:
    """Interpreted evaluation, same semantics as the compiled code (used by explain)."""
    if isinstance(cond, Cmp):
        value = attributes.get(cond.field)
        op = cond.op
        if isinstance(cond.value, Ref):
            return _evaluate_fields(value, op, cond.value, attributes)
        if op == "exists":
            return (value is not None) == cond.value
        if value is None:
            return op in ("ne", "not_in")
        if op in ("eq", "ne"):
            same = value is cond.value if isinstance(cond.value, bool) else value == cond.value
            return same == (op == "eq")
        if op == "in":
            return value in cond.value
        if op == "not_in":
            return value not in cond.value
        return bool(
            {
                "gt": value > cond.value,
                "gte": value >= cond.value,
                "lt": value < cond.value,
                "lte": value <= cond.value,
            }[op]
        )
    if isinstance(cond, NotOf):
        return not evaluate(cond.item, attributes)
    if isinstance(cond, AllOf):
        return all(evaluate(c, attributes) for c in cond.items)
    return any(evaluate(c, attributes) for c in cond.items)


def _evaluate_fields(value: Any, op: str, ref: Ref, attributes: Mapping[str, Any]) -> bool:
    """``field <op> other``: missing on either side, eq and the orderings are false, ne true."""
    other = attributes.get(ref.field)
    if value is None or other is None:
        return op == "ne"
    if ref.person:
        value, other = person_ref(value), person_ref(other)
    return bool(
        {
            "eq": value == other,
            "ne": value != other,
            "gt": value > other,
            "gte": value >= other,
            "lt": value < other,
            "lte": value <= other,
        }[op]
    )


def why_not(cond: Cond, attributes: Mapping[str, Any]) -> str | None:
    """None if the condition holds, else 'suspected_bot is true, wanted not suspected_bot'."""
    if evaluate(cond, attributes):
        return None
    culprit: Cond = cond
    while isinstance(culprit, AllOf):  # narrow an `and` down to its first failing part
        culprit = next(c for c in culprit.items if not evaluate(c, attributes))
    facts = []
    for name in condition_fields(culprit):
        value = attributes.get(name)
        facts.append(f"{name} is missing" if value is None else f"{name} is {_fact(value)}")
    return f"{', '.join(facts)}, wanted {render(culprit)}"


def _fact(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_python(cond: Cond, var: Callable[[str], str], literal: Callable[[Any], str]) -> str:
    """Python source of a condition over local variables (``var(field)``).

    Only validated field names (through ``var``) and validated constants (through ``literal``)
    reach the source. Missing fields are None: comparisons are false, ne / not_in true.
    """
    if isinstance(cond, Cmp):
        v = var(cond.field)
        op = cond.op
        if isinstance(cond.value, Ref):
            return _fields_python(v, op, cond.value, var, literal)
        if op == "exists":
            return f"{v} is not None" if cond.value else f"{v} is None"
        if isinstance(cond.value, bool):  # `is` keeps 1 from passing as true
            return f"{v} is {cond.value}" if op == "eq" else f"{v} is not {cond.value}"
        if op in ("in", "not_in"):
            values = frozenset(cond.value)
            return f"{v} {'in' if op == 'in' else 'not in'} {literal(values)}"
        if op in ("eq", "ne"):
            return f"{v} {_SYMBOL[op]} {literal(cond.value)}"
        return f"({v} is not None and {v} {_SYMBOL[op]} {literal(cond.value)})"
    if isinstance(cond, NotOf):
        return f"(not {to_python(cond.item, var, literal)})"
    joiner = " and " if isinstance(cond, AllOf) else " or "
    return "(" + joiner.join(to_python(c, var, literal) for c in cond.items) + ")"


def _fields_python(
    v: str, op: str, ref: Ref, var: Callable[[str], str], literal: Callable[[Any], str]
) -> str:
    """``field <op> other`` as source, with ``_evaluate_fields``' semantics for missing values."""
    w = var(ref.field)
    left, right = v, w
    if ref.person:
        fold = literal(person_ref)
        left, right = f"{fold}({v})", f"{fold}({w})"
    if op == "ne":
        return f"({v} is None or {w} is None or {left} != {right})"
    return f"({v} is not None and {w} is not None and {left} {_SYMBOL[op]} {right})"
