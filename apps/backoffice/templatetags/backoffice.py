"""Template filters of the back office."""

import re

from django import template
from django.utils.text import capfirst

register = template.Library()

_PUBLIC_ID = re.compile(r"^[a-z]{2,6}_[0-9A-Za-z]")


@register.filter
def title_case(value) -> str:
    """capfirst, except for public ids ("pi_01M8…" stays "pi_01M8…", never "Pi_01M8…")."""
    text = str(value)
    return text if _PUBLIC_ID.match(text) else capfirst(text)
