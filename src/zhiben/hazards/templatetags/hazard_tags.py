from django import template

from zhiben.hazards.choices import HazardStatus

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    return HazardStatus(value).label if value in HazardStatus.values else value
