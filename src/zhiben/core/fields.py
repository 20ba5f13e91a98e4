"""Declaration helpers shared by every app's ``models.py``.

* :func:`user_fk` / :func:`user_m2m` — the one way to point at a user. The
  common case is "who did it" (登记人, 上传人, 处理人 …): nullable, kept as
  NULL when the account is deleted, no reverse accessor, optional in forms.
  They return plain Django fields, so migrations see exactly the field
  written out in full (``makemigrations`` finds no change).
* :class:`ChoiceColor` — the badge colour of a choice's current value
  (``status_color = ChoiceColor("status", HazardStatus)``), read by
  templates as ``obj.status_color``.

``core`` names no app: the user model is ``settings.AUTH_USER_MODEL``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import models

from .choices import ColoredChoices


def user_fk(
    verbose_name: str | None = None,
    *,
    on_delete: Callable = models.SET_NULL,
    null: bool | None = None,
    blank: bool | None = None,
    related_name: str = "+",
    **kwargs: Any,
) -> models.ForeignKey:
    """A foreign key to the user model.

    Defaults: ``on_delete=SET_NULL``; ``null`` when the key is SET_NULL;
    ``blank`` like ``null``; ``related_name="+"`` (no reverse accessor).
    Other keyword arguments (``help_text``, ``db_constraint`` …) are passed on.
    """
    if null is None:
        null = on_delete is models.SET_NULL
    if blank is None:
        blank = null
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=on_delete,
        null=null,
        blank=blank,
        related_name=related_name,
        verbose_name=verbose_name,
        **kwargs,
    )


def user_m2m(verbose_name: str | None = None, *, related_name: str, blank: bool = True, **kwargs: Any):
    """A many-to-many relation to the user model (检查人员, 网格检查员 …),
    optional in forms unless ``blank=False``."""
    return models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=blank, related_name=related_name, verbose_name=verbose_name, **kwargs
    )


class ChoiceColor:
    """A read-only model attribute: the colour of a choice's current value.

    ``source`` names a field (``"status"``) or a method called without
    arguments (plans' computed ``status()``/``state()``). ``colors`` is a
    :class:`~zhiben.core.choices.ColoredChoices` class (its ``color_of``:
    Bootstrap names, "secondary" when unlisted) or a mapping from value to
    colour, with ``default`` for values it does not list::

        status_color = ChoiceColor("status", HazardStatus)
        risk_color = ChoiceColor("risk_level", RISK_HEX, default="#6c757d")
    """

    def __init__(
        self, source: str, colors: type[ColoredChoices] | Mapping[str, str], *, default: str = "secondary"
    ) -> None:
        self.source = source
        self.colors = colors
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def color_of(self, value: Any) -> str:
        if isinstance(self.colors, type) and issubclass(self.colors, ColoredChoices):
            return self.colors.color_of(value)
        return self.colors.get(value, self.default)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = getattr(instance, self.source)
        if callable(value):
            value = value()
        return self.color_of(value)

    def __set__(self, instance: Any, value: Any) -> None:
        raise AttributeError(f"{self.name} is read-only (the colour of {self.source})")


__all__ = ["ChoiceColor", "user_fk", "user_m2m"]
