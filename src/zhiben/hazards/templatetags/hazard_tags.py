from django import template

from zhiben.hazards.choices import HazardStatus, RecheckResult

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    return HazardStatus(value).label if value in HazardStatus.values else value


@register.filter
def recheck_color(value: str) -> str:
    return RecheckResult.color_of(value)
