"""Template filters for the sign-in and practice administration pages."""

from __future__ import annotations

import datetime

from django import template

register = template.Library()


def _unit(count: int, name: str) -> str:
    return f"{count} {name}" if count == 1 else f"{count} {name}s"


@register.filter
def duration(value: datetime.timedelta | None) -> str:
    """A lockout's length as people say it ("30 minutes", "1 hour 30 minutes"), not as ISO 8601 ("PT30M")."""
    if not value:
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = [_unit(hours, "hour")] if hours else []
    if minutes:
        parts.append(_unit(minutes, "minute"))
    return " ".join(parts)


@register.filter
def count_for(counts: dict[str, int], key: object) -> int:
    """``counts|count_for:member.user_id``: a per-user count keyed by the id as a string."""
    return counts.get(str(key), 0)
