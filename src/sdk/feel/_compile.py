"""Compile a parsed FEEL tree into nested Python closures, once; evaluating runs the closures.

Each node becomes ``(scope) -> value``. Failures that feel-scala suppresses (a missing
variable, values that cannot be added or compared, a failed function call) become null plus a
warning on the evaluation's state, with feel-scala's wording.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from lark import Token, Tree

from ._functions import AssertionFailure, accepts, by_name, overload, overload_named
from ._ops import arithmetic, compare, negate
from ._scope import MISSING, Scope, State
from ._temporal import parse_temporal, properties
from ._values import FeelError, Function, Range, equal, show, type_name

Eval = Callable[[Scope], Any]


def _safe(scope: Scope, run: Callable[[], Any]) -> Any:
    try:
        return run()
    except AssertionFailure:
        raise
    except FeelError as error:
        scope.state.warn(str(error))
        return None


def _const(value: Any) -> Eval:
    return lambda scope: value


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


def unescape(text: str) -> str:
    """The value of a string literal's body (``\\n``, ``\\"``, ``\\u269D`` and the like)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 == len(text):
            out.append(char)
            i += 1
            continue
        code = text[i + 1]
        width = {"u": 4, "U": 6}.get(code)
        if width and _is_hex(text[i + 2 : i + 2 + width], width):
            out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        else:
            out.append(_ESCAPES.get(code, "\\" + code))
            i += 2
    return "".join(out)


def _is_hex(text: str, width: int) -> bool:
    return len(text) == width and all(c in "0123456789abcdefABCDEF" for c in text)


def _name(node: Tree[Token] | Token) -> str:
    token = node if isinstance(node, Token) else node.children[0]
    assert isinstance(token, Token)
    text = str(token)
    if token.type == "BACKTICK_NAME":
        return text[1:-1]
    if token.type == "STRING":
        return unescape(text[1:-1])
    return text.strip()


# ---- logic --------------------------------------------------------------------------------------


def _boolean(scope: Scope, value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    scope.state.warn(f"Expected boolean but found '{show(value)}'")
    return None


def any_true(scope: Scope, items: Iterator[Callable[[], Any]]) -> bool | None:
    """FEEL's ``or`` over ``items``: true if one is true, else null if one is not boolean."""
    result: bool | None = False
    for item in items:
        value = item()
        if value is True:
            return True
        if result is False:
            result = _boolean(scope, value)
        elif value is not False:
            result = None
    return result


def all_true(scope: Scope, items: Iterator[Callable[[], Any]]) -> bool | None:
    """FEEL's ``and`` over ``items``: false if one is false, else null if one is not boolean."""
    result: bool | None = True
    for item in items:
        value = item()
        if value is False:
            return False
        if result is True:
            result = _boolean(scope, value)
        elif value is not True:
            result = None
    return result


# ---- unary tests --------------------------------------------------------------------------------


def in_range(value: Any, bounds: Range) -> bool:
    """Whether ``value`` lies in ``bounds`` (raises `FeelError` when not comparable)."""
    checks = []
    if bounds.start is not None:
        checks.append(compare(">=" if bounds.start_closed else ">", value, bounds.start))
    if bounds.end is not None:
        checks.append(compare("<=" if bounds.end_closed else "<", value, bounds.end))
    return all(checks)


def matches_test(value: Any, test: Any) -> bool | None:
    """``value in test`` where ``test`` is a value: a range, a list, a boolean or one value."""
    if test is True:
        return True
    if isinstance(test, Range):
        return in_range(value, test)
    if isinstance(test, list):
        return any(equal(value, item) is True for item in test)
    result = equal(value, test)
    if result is None:
        if test is False:
            return False
        raise FeelError(f"Can't compare '{show(value)}' with '{show(test)}'")
    return result


_TYPE_ALIASES = {
    "date time": "date and time",
    "year-month-duration": "years and months duration",
    "day-time-duration": "days and time duration",
}


def instance_of(value: Any, name: str) -> bool:
    """``value instance of name``."""
    if name == "Any":
        return value is not None
    name = " ".join(name.split())
    return type_name(value) == _TYPE_ALIASES.get(name, name)


# ---- paths and filters --------------------------------------------------------------------------


def path(scope: Scope, value: Any, key: str) -> Any:
    """``value.key``: a context entry, a projection over a list, or a temporal property."""
    if isinstance(value, dict):
        if key in value:
            return value[key]
        keys = ", ".join(f"'{k}'" for k in value) or None
        detail = f"Available keys: {keys}" if keys else "The context is empty"
        scope.state.warn(f"No context entry found with key '{key}'. {detail}")
        return None
    if isinstance(value, list):
        return [path(scope, item, key) for item in value]
    if value is None:
        scope.state.warn(f"No context entry found with key '{key}'. The context is null")
        return None
    readers = properties(value) or {}
    if key in readers:
        return readers[key](value)
    names = ", ".join(f"'{name}'" for name in readers)
    scope.state.warn(
        f"No property found with name '{key}' of value '{show(value)}'. "
        f"Available properties: {names}"
    )
    return None


def index(items: Sequence[Any], position: Decimal) -> Any:
    """``items[position]``: 1-based, negative counts from the end, out of range is null."""
    if position != position.to_integral_value():
        return None
    at = int(position)
    if at > 0 and at <= len(items):
        return items[at - 1]
    if at < 0 and -at <= len(items):
        return items[at]
    return None


def _item_scope(scope: Scope, item: Any) -> Scope:
    if isinstance(item, dict):
        return scope.child({**item, "item": item})
    return scope.child({"item": item})


# ---- the compiler -------------------------------------------------------------------------------


class Compiler:
    """Turns a lark tree of ``_grammar.lark`` into an `Eval` closure."""

    def compile(self, node: Tree[Token] | Token) -> Eval:
        if isinstance(node, Token):  # pragma: no cover - the grammar wraps every token
            raise FeelError(f"unexpected token {node!r}")
        method: Callable[[list[Any]], Eval] = getattr(self, "_" + str(node.data))
        return method(node.children)

    # literals
    def _number(self, children: list[Any]) -> Eval:
        return _const(Decimal(str(children[0])))

    def _string(self, children: list[Any]) -> Eval:
        return _const(unescape(str(children[0])[1:-1]))

    def _true(self, children: list[Any]) -> Eval:
        return _const(True)

    def _false(self, children: list[Any]) -> Eval:
        return _const(False)

    def _null(self, children: list[Any]) -> Eval:
        return _const(None)

    def _temporal(self, children: list[Any]) -> Eval:
        text = unescape(str(children[0])[2:-1])
        try:
            return _const(parse_temporal(text))
        except (ValueError, KeyError):
            return _const(None)

    def _list(self, children: list[Any]) -> Eval:
        items = [self.compile(child) for child in children]
        return lambda scope: [item(scope) for item in items]

    def _context(self, children: list[Any]) -> Eval:
        entries = [(_name(e.children[0]), self.compile(e.children[1])) for e in children]

        def build(scope: Scope) -> dict[str, Any]:
            result: dict[str, Any] = {}
            inner = scope.child(result)
            for key, value in entries:
                result[key] = value(inner)
            return result

        return build

    def _range(self, children: list[Any], start_closed: bool, end_closed: bool) -> Eval:
        start, end = self.compile(children[0]), self.compile(children[1])
        return lambda scope: Range(start(scope), start_closed, end(scope), end_closed)

    def _range_cc(self, children: list[Any]) -> Eval:
        return self._range(children, True, True)

    def _range_co(self, children: list[Any]) -> Eval:
        return self._range(children, True, False)

    def _range_oc(self, children: list[Any]) -> Eval:
        return self._range(children, False, True)

    def _range_oo(self, children: list[Any]) -> Eval:
        return self._range(children, False, False)

    # names and paths
    def _variable(self, children: list[Any]) -> Eval:
        name = _name(children[0])

        def lookup(scope: Scope) -> Any:
            value = scope.lookup(name)
            if value is MISSING:
                scope.state.warn(f"No variable found with name '{name}'")
                return None
            return value

        return lookup

    def _path(self, children: list[Any]) -> Eval:
        base, key = children[0], _name(children[1])
        target = self.compile(base)
        silent_null = isinstance(base, Tree) and base.data in ("variable", "path")

        def walk(scope: Scope) -> Any:
            value = target(scope)
            if value is None and silent_null:
                return None  # the variable was missing (warned) or null: feel-scala stops here
            return path(scope, value, key)

        return walk

    def _filter(self, children: list[Any]) -> Eval:
        base = self.compile(children[0])
        condition_node = children[1]
        condition = self.compile(condition_node)
        literal_index = _literal_number(condition_node)
        per_item = isinstance(condition_node, Tree) and condition_node.data in (
            "compare", "between", "instance_of", "in_", "in_any", "call", "call_named",
            "and_", "or_",
        )  # fmt: skip

        def run(scope: Scope) -> Any:
            items = base(scope)
            if not isinstance(items, list):
                if items is None:
                    return None
                scope.state.warn(f"Expected list but found '{show(items)}'")
                return None
            if literal_index is not None:
                return index(items, literal_index)
            if not per_item:
                position = condition(scope.child({}))
                if isinstance(position, Decimal):
                    return index(items, position)
            return [item for item in items if condition(_item_scope(scope, item)) is True]

        return run

    # operators
    def _arith(self, children: list[Any]) -> Eval:
        left, symbol, right = self.compile(children[0]), str(children[1]), self.compile(children[2])
        return lambda scope: _safe(scope, lambda: arithmetic(symbol, left(scope), right(scope)))

    def _negate(self, children: list[Any]) -> Eval:
        operand = self.compile(children[0])
        return lambda scope: _safe(scope, lambda: negate(operand(scope)))

    def _compare(self, children: list[Any]) -> Eval:
        left, symbol, right = self.compile(children[0]), str(children[1]), self.compile(children[2])
        return lambda scope: _safe(scope, lambda: compare(symbol, left(scope), right(scope)))

    def _between(self, children: list[Any]) -> Eval:
        value, low, high = (self.compile(child) for child in children)

        def run(scope: Scope) -> Any:
            x = value(scope)
            return all_true(
                scope,
                iter(
                    (
                        lambda: _safe(scope, lambda: compare(">=", x, low(scope))),
                        lambda: _safe(scope, lambda: compare("<=", x, high(scope))),
                    )
                ),
            )

        return run

    def _instance_of(self, children: list[Any]) -> Eval:
        value, name = self.compile(children[0]), str(children[1])
        return lambda scope: instance_of(value(scope), name)

    def _and_(self, children: list[Any]) -> Eval:
        left, right = self.compile(children[0]), self.compile(children[1])
        return lambda scope: all_true(scope, iter((lambda: left(scope), lambda: right(scope))))

    def _or_(self, children: list[Any]) -> Eval:
        left, right = self.compile(children[0]), self.compile(children[1])
        return lambda scope: any_true(scope, iter((lambda: left(scope), lambda: right(scope))))

    # unary tests
    def _test(self, node: Any) -> Callable[[Scope, Any], Any]:
        if node.data == "simple_test":
            symbol, endpoint = str(node.children[0]), self.compile(node.children[1])
            return lambda scope, x: _safe(scope, lambda: compare(symbol, x, endpoint(scope)))
        expression = self.compile(node.children[0])
        return lambda scope, x: _safe(scope, lambda: matches_test(x, expression(scope)))

    def _in_(self, children: list[Any]) -> Eval:
        value, test = self.compile(children[0]), self._test(children[1])
        return lambda scope: test(scope, value(scope))

    def _in_any(self, children: list[Any]) -> Eval:
        value = self.compile(children[0])
        tests = [self._test(child) for child in children[1].children]

        def run(scope: Scope) -> Any:
            x = value(scope)
            return any_true(scope, (lambda t=t: t(scope, x) for t in tests))  # type: ignore[misc]

        return run

    # control
    def _if_expr(self, children: list[Any]) -> Eval:
        condition, then, otherwise = (self.compile(child) for child in children)

        def run(scope: Scope) -> Any:
            met = condition(scope)
            if met is True:
                return then(scope)
            if met is not False:
                scope.state.warn(f"Expected boolean but found '{show(met)}'")
            return otherwise(scope)

        return run

    def _iterators(self, nodes: list[Any]) -> Callable[[Scope], Iterator[Scope] | None]:
        compiled = []
        for node in nodes:
            parts = node.children
            bounds = [self.compile(part) for part in parts[1:]]
            compiled.append((_name(parts[0]), bounds))

        def product(scope: Scope) -> Iterator[Scope] | None:
            domains: list[list[Any]] = []
            for _, bounds in compiled:
                domain = _domain(scope, [bound(scope) for bound in bounds])
                if domain is None:
                    return None
                domains.append(domain)
            names = [name for name, _ in compiled]
            return (
                scope.child(dict(zip(names, combo, strict=True)))
                for combo in itertools.product(*domains)
            )

        return product

    def _for_expr(self, children: list[Any]) -> Eval:
        scopes, body = self._iterators(children[:-1]), self.compile(children[-1])

        def run(scope: Scope) -> Any:
            inner = scopes(scope)
            if inner is None:
                return None
            results: list[Any] = []
            for each in inner:
                each.values["partial"] = list(results)  # type: ignore[index]
                results.append(body(each))
            return results

        return run

    def _some_expr(self, children: list[Any]) -> Eval:
        scopes, condition = self._iterators(children[:-1]), self.compile(children[-1])

        def run(scope: Scope) -> Any:
            inner = scopes(scope)
            if inner is None:
                return None
            return any_true(scope, (lambda s=s: condition(s) for s in inner))  # type: ignore[misc]

        return run

    def _every_expr(self, children: list[Any]) -> Eval:
        scopes, condition = self._iterators(children[:-1]), self.compile(children[-1])

        def run(scope: Scope) -> Any:
            inner = scopes(scope)
            if inner is None:
                return None
            return all_true(scope, (lambda s=s: condition(s) for s in inner))  # type: ignore[misc]

        return run

    # functions
    def _function(self, children: list[Any]) -> Eval:
        params = tuple(_name(child) for child in children[:-1])
        body = self.compile(children[-1])

        def define(scope: Scope) -> Function:
            def invoke(args: Sequence[Any], state: State) -> Any:
                return body(scope.child(dict(zip(params, args, strict=False))))

            return Function("anonymous", params, invoke)

        return define

    def _arguments(self, node: Any) -> tuple[list[Eval], list[str] | None]:
        if node is None:
            return [], None
        if node.data == "positional":
            return [self.compile(child) for child in node.children], None
        names = [_name(child) for child in node.children[0::2]]
        return [self.compile(child) for child in node.children[1::2]], names

    def _call_named(self, children: list[Any]) -> Eval:
        name = " ".join(str(children[0]).split())
        args, names = self._arguments(children[1] if len(children) > 1 else None)
        return _call(name, None, args, names)

    def _call(self, children: list[Any]) -> Eval:
        target_node = children[0]
        args, names = self._arguments(children[1] if len(children) > 1 else None)
        if isinstance(target_node, Tree) and target_node.data == "variable":
            return _call(_name(target_node.children[0]), None, args, names)
        return _call("anonymous", self.compile(target_node), args, names)


def _literal_number(node: Any) -> Decimal | None:
    if isinstance(node, Tree) and node.data == "number":
        return Decimal(str(node.children[0]))
    if isinstance(node, Tree) and node.data == "negate":
        inner = _literal_number(node.children[0])
        return -inner if inner is not None else None
    return None


def _domain(scope: Scope, bounds: list[Any]) -> list[Any] | None:
    """What an iterator runs over: a list, or the integers ``a..b`` (descending if b < a)."""
    if len(bounds) == 2:
        start, end = bounds
        if not (isinstance(start, Decimal) and isinstance(end, Decimal)):
            scope.state.warn(f"Expected number but found '{show(start)}' and '{show(end)}'")
            return None
        step = 1 if end >= start else -1
        return [Decimal(i) for i in range(int(start), int(end) + step, step)]
    value = bounds[0]
    if isinstance(value, list):
        return value
    if isinstance(value, Range) and isinstance(value.start, Decimal):
        first = int(value.start) + (0 if value.start_closed else 1)
        last = int(value.end) - (0 if value.end_closed else 1)
        return [Decimal(i) for i in range(first, last + 1)]
    scope.state.warn(f"Expected list but found '{show(value)}'")
    return None


def _call(name: str, target: Eval | None, args: list[Eval], names: list[str] | None) -> Eval:
    """A function call: a function value in scope first, else the built-in of that name."""

    def run(scope: Scope) -> Any:
        values = [arg(scope) for arg in args]
        function = _resolve(scope, name, target, len(values), names)
        if function is None:
            scope.state.warn(f"No function found with name '{name}' and {len(values)} parameters")
            return None
        try:
            if names is not None:
                call_args = by_name(function, dict(zip(names, values, strict=True)))
            else:
                call_args = values
            return function.invoke(call_args, scope.state)
        except AssertionFailure:
            raise
        except (
            FeelError,
            ArithmeticError,
            ValueError,
            TypeError,
            LookupError,
            AttributeError,
        ) as error:
            scope.state.warn(f"Failed to invoke function '{name}': {error}")
            return None

    return run


def _resolve(
    scope: Scope, name: str, target: Eval | None, count: int, names: list[str] | None
) -> Function | None:
    if target is not None:
        value = target(scope)
        return value if isinstance(value, Function) else None
    value = scope.lookup(name)
    if isinstance(value, Function):
        return value if names is not None or accepts(value, count) else None
    if names is not None:
        return overload_named(name, names)
    return overload(name, count)
