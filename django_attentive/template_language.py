"""The template language of a text: a few tags and filters, at most one loop, bounded work.

Templates are written in the admin by staff who may not see the shop's data, and rendered
inside the shop's checkout. So only what a text needs exists here: no ``{% load %}``, no
``{% include %}``, no ``{% debug %}``, no padding filters that allocate what they are told,
and one loop, over the order's items. Everything else fails to compile, with a message that
names it and lists what is allowed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.template import (
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import (
    FilterExpression,
    Lexer,
    Node,
    NodeList,
    TextNode,
    TokenType,
    Variable,
    VariableNode,
)
from django.template.defaulttags import (
    CommentNode,
    FirstOfNode,
    ForNode,
    IfNode,
    NowNode,
    TemplateLiteral,
    WithNode,
)

#: Block tags a text may use, and the words that close or split them.
ALLOWED_TAGS = ("if", "for", "with", "firstof", "now", "comment")
TAG_WORDS = frozenset(
    {*ALLOWED_TAGS, "elif", "else", "endif", "empty", "endfor", "endwith", "endcomment"}
)
#: Filters that only reshape a value a little. Left out on purpose: ljust, rjust, center and
#: stringformat (they allocate any width they are given), add and make_list (they grow lists),
#: the HTML filters (a text is not HTML), and the ones that sort or regroup whole lists.
ALLOWED_FILTERS = (
    "capfirst",
    "cut",
    "date",
    "default",
    "default_if_none",
    "first",
    "floatformat",
    "join",
    "last",
    "length",
    "lower",
    "pluralize",
    "safe",
    "slice",
    "time",
    "timesince",
    "timeuntil",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "urlencode",
    "wordcount",
    "yesno",
)
#: A template longer than this is refused; a text is at most 1,600 characters.
MAX_TEMPLATE_LENGTH = 5000
#: ``floatformat`` may ask for at most this many decimal places.
MAX_DECIMAL_PLACES = 6
#: The only thing a loop may walk: the order's item list, which the context keeps short.
LOOP_SEQUENCE = ("order", "items")

register = Library()
for _name in ALLOWED_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]

_LOADER_TAGS = ("load", "include", "extends", "block")
_INVALID_FILTER = re.compile(r"^Invalid filter: '([^']*)'")


class RenderError(Exception):
    """A template does not compile, is refused, or fails while rendering; the message says why."""


class _TextEngine(Engine):
    # Only this module's library: no Django default tags or filters, no {% load %}.
    default_builtins = ["django_attentive.template_language"]


@functools.cache
def _engine() -> Engine:
    # Texts are not HTML: "O'Brien & Sons" must arrive exactly so.
    return _TextEngine(autoescape=False, string_if_invalid="", libraries={})


@dataclass(frozen=True)
class TextTemplate:
    """A checked template and which of the order's values it reads."""

    template: Template
    order_names: frozenset[str]  # the ``x`` of every ``order.x`` it reads
    reads_whole_order: bool  # uses ``order`` itself (``{% with o=order %}``): give it all


def allowed_list() -> str:
    """Both whitelists, as one sentence for error messages and help texts."""
    return (
        f"Allowed tags: {', '.join(ALLOWED_TAGS)}. Allowed filters: {', '.join(ALLOWED_FILTERS)}."
    )


@functools.lru_cache(maxsize=256)
def compile_text(body: str) -> TextTemplate:
    """Compile and check ``body``; raise RenderError naming what is not allowed, and why."""
    if len(body) > MAX_TEMPLATE_LENGTH:
        raise RenderError(
            f"The template is {len(body):,} characters; keep it under {MAX_TEMPLATE_LENGTH:,}."
        )
    _check_tags(body)
    try:
        template = _engine().from_string(body)
    except TemplateSyntaxError as exc:
        raise RenderError(_syntax_message(exc)) from exc
    names: set[str] = set()
    whole = _check_nodes(template.nodelist, in_loop=False, names=names)
    return TextTemplate(template, frozenset(names), whole)


def _check_tags(body: str) -> None:
    for token in Lexer(body).tokenize():
        if token.token_type is not TokenType.BLOCK:
            continue
        words = token.contents.split()
        name = words[0] if words else ""
        if name in TAG_WORDS:
            continue
        if name in defaulttags.register.tags or name in _LOADER_TAGS:
            problem = f"the tag '{name}' is not allowed in a text template"
        else:
            problem = f"The template does not compile: there is no tag '{name}'"
        raise RenderError(f"Line {token.lineno}: {problem}. {allowed_list()}")


def _syntax_message(exc: TemplateSyntaxError) -> str:
    match = _INVALID_FILTER.match(str(exc))
    if match is None:
        return f"The template does not compile: {exc}"
    name = match[1]
    if name in defaultfilters.register.filters:
        return f"The filter '{name}' is not allowed in a text template. {allowed_list()}"
    return f"The template does not compile: there is no filter '{name}'. {allowed_list()}"


def _check_nodes(nodes: NodeList, *, in_loop: bool, names: set[str]) -> bool:
    """Walk the compiled nodes; True when a node reads the whole ``order``."""
    whole = False
    for node in nodes:
        for expression in _expressions(node):
            whole |= _check_expression(expression, names)
        if isinstance(node, ForNode):
            if in_loop:
                raise RenderError(
                    "Loops cannot be nested: a {% for %} inside another {% for %} is not "
                    "allowed in a text template. Use one loop over order.items."
                )
            _check_loop_sequence(_parsed(node.sequence))
        for child in _children(node):
            whole |= _check_nodes(child, in_loop=in_loop or isinstance(node, ForNode), names=names)
    return whole


def _children(node: Node) -> Iterator[NodeList]:
    if isinstance(node, IfNode):
        yield from (nodelist for _, nodelist in node.conditions_nodelists)
    elif isinstance(node, ForNode):
        yield _parsed_nodes(node.nodelist_loop)
        yield _parsed_nodes(node.nodelist_empty)
    elif isinstance(node, WithNode):
        yield node.nodelist


def _expressions(node: Node) -> Iterable[FilterExpression]:
    if isinstance(node, VariableNode):
        return [node.filter_expression]
    if isinstance(node, ForNode):
        return [_parsed(node.sequence)]
    if isinstance(node, WithNode):
        return list(node.extra_context.values())
    if isinstance(node, FirstOfNode):
        return list(node.vars)
    if isinstance(node, IfNode):
        return [e for condition, _ in node.conditions_nodelists for e in _conditions(condition)]
    if isinstance(node, TextNode | CommentNode | NowNode):
        return []
    raise RenderError(f"{type(node).__name__} is not allowed in a text template. {allowed_list()}")


def _conditions(condition: object) -> Iterator[FilterExpression]:
    """The expressions inside an ``{% if %}`` condition tree (operators have first/second)."""
    if condition is None:
        return
    if isinstance(condition, TemplateLiteral):
        yield _parsed(condition.value)
        return
    yield from _conditions(getattr(condition, "first", None))
    yield from _conditions(getattr(condition, "second", None))


def _parsed(value: object) -> FilterExpression:
    """A parsed tag's expression; the stubs also allow what a hand-built node could hold."""
    if not isinstance(value, FilterExpression):
        raise RenderError(f"{value!r} is not allowed in a text template. {allowed_list()}")
    return value


def _parsed_nodes(value: object) -> NodeList:
    """A parsed tag's nodes; the stubs also allow what a hand-built node could hold."""
    if not isinstance(value, NodeList):
        raise RenderError(f"{value!r} is not allowed in a text template. {allowed_list()}")
    return value


def _check_expression(expression: FilterExpression, names: set[str]) -> bool:
    whole = _note_lookup(expression.var, names)
    for func, args in expression.filters:
        name = getattr(func, "_filter_name", "")
        for is_lookup, arg in args:
            if is_lookup:
                whole |= _note_lookup(arg, names)
        if name == "floatformat":
            _check_decimal_places(args)
    return whole


def _note_lookup(variable: object, names: set[str]) -> bool:
    lookups = getattr(variable, "lookups", None) if isinstance(variable, Variable) else None
    if not lookups or lookups[0] != "order":
        return False
    if len(lookups) == 1:
        return True
    names.add(lookups[1])
    return False


def _check_decimal_places(args: list[tuple[bool, object]]) -> None:
    if not args:
        return
    is_lookup, arg = args[0]
    digits = re.sub(r"[gu]+$", "", str(arg))
    if is_lookup or not re.fullmatch(r"-?\d{1,3}", digits) or abs(int(digits)) > MAX_DECIMAL_PLACES:
        raise RenderError(
            f'The filter floatformat:"{arg}" is not allowed: give it a number of decimal '
            f"places from -{MAX_DECIMAL_PLACES} to {MAX_DECIMAL_PLACES}, "
            'e.g. {{ order.total|floatformat:"2" }}.'
        )


def _check_loop_sequence(sequence: FilterExpression) -> None:
    variable = sequence.var
    lookups = variable.lookups if isinstance(variable, Variable) else None
    filters = {getattr(func, "_filter_name", "") for func, _ in sequence.filters}
    if lookups != LOOP_SEQUENCE or not filters <= {"slice"}:
        raise RenderError(
            f"A loop may only walk the order's items: {{% for line in order.items %}} "
            f'(optionally order.items|slice:":3"), not {sequence.token!r}.'
        )
