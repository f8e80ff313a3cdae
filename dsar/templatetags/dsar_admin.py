"""Template tags for the admin workbench (the dashboard on the admin index)."""

from django import template

from dsar import metrics

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_dashboard(context):
    """Per tenant the user can see: open cases by status, due this week, overdue, median, on-time chart."""
    return metrics.dashboard(context["request"].user)


@register.filter
def event_label(event_type):
    return event_type.replace("_", " ").capitalize()


@register.filter
def changes(event):
    """'field: old → new' for each value an audit event changed."""
    keys = list(dict.fromkeys([*event.old_value, *event.new_value]))
    parts = []
    for key in keys:
        old, new = event.old_value.get(key), event.new_value.get(key)
        if key in event.old_value and old != new:
            parts.append(f"{key}: {old} → {new}")
        elif key not in event.old_value and new not in ("", None, [], {}):
            parts.append(f"{key}: {new}")
    return parts
