"""Cheaper rendering for the busiest pages (the dashboard, the disputes list).

``label``: a choice's label from a dictionary built once per field and language, where
``get_FOO_display`` hashes the field's lazy choices again on every call.

``memo``: a fragment rendered once per process for its name, the active language and the
keys given, then reused (the disputes list's filter form: its selects hold every country
and render identically for the same query string). Only for fragments that depend on
nothing but those: never on the user, the organisation or the data.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any

from django import template
from django.db.models import Model
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

MEMO_SIZE = 256


@functools.cache
def _labels(model: type[Model], field_name: str, language: str | None) -> dict[str, str]:
    # Keyed by the language: the labels are translated once, under the language active at the time.
    field = model._meta.get_field(field_name)
    return {str(value): str(label) for value, label in field.flatchoices}


@register.filter
def label(obj: Model, field_name: str) -> str:
    """``{{ dispute|label:"stage" }}``: what ``dispute.get_stage_display`` shows."""
    value = getattr(obj, field_name)
    if value is None:
        return ""
    return _labels(type(obj), field_name, get_language()).get(str(value), str(value))


_memo: OrderedDict[tuple, SafeString] = OrderedDict()
_memo_lock = threading.Lock()


class MemoNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: template.base.FilterExpression,
                 keys: list[template.base.FilterExpression]) -> None:
        self.nodelist = nodelist
        self.name = name
        self.keys = keys

    def render(self, context: template.Context) -> str:
        key = (self.name.resolve(context), get_language(), *(str(k.resolve(context)) for k in self.keys))
        with _memo_lock:
            html = _memo.get(key)
            if html is not None:
                _memo.move_to_end(key)
                return html
        html = mark_safe(self.nodelist.render(context))  # noqa: S308 - the template's own output
        with _memo_lock:
            _memo[key] = html
            while len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
        return html


@register.tag
def memo(parser: Any, token: Any) -> MemoNode:
    """``{% memo "name" key ... %}…{% endmemo %}`` (see the module docstring)."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("memo takes a name and optional keys")
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]])
