"""Base for choice classes: every status/category is a TextChoices with a
Chinese label and a colour (a Bootstrap contextual name) for badges."""

from __future__ import annotations

from django.db import models


class ColoredChoices(models.TextChoices):
    """TextChoices whose members carry a colour.

    Subclasses declare ``__colors__ = {"value": "danger", ...}``; members
    without an entry are "secondary".
    """

    @property
    def color(self) -> str:
        return getattr(type(self), "__colors__", {}).get(self.value, "secondary")

    @classmethod
    def color_of(cls, value: str) -> str:
        return getattr(cls, "__colors__", {}).get(value, "secondary")
