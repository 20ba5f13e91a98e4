from django import template

from zhiben.audit.labels import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return _action_label(action)


@register.simple_tag(takes_context=True)
def sort_url(context, field: str) -> str:
    """?…&order=field, toggling direction when already sorted by it."""
    request = context["request"]
    params = request.GET.copy()
    current = params.get("order", "")
    params["order"] = f"-{field}" if current == field else field
    params.pop("page", None)
    return "?" + params.urlencode()


NOT_FILTERS = {"page", "order", "sort", "month"}


@register.simple_tag(takes_context=True)
def active_filter_count(context) -> int:
    """How many filters the list's query string sets (page and order are not filters)."""
    request = context.get("request")
    if request is None:
        return 0
    return sum(1 for key, values in request.GET.lists() if key not in NOT_FILTERS and any(v.strip() for v in values))
