"""core/fields.py: one definition of user references and choice colours."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from zhiben.core.choices import ColoredChoices
from zhiben.core.fields import ChoiceColor, user_fk, user_m2m

SRC = Path(__file__).resolve().parents[2] / "src" / "zhiben"


def _deconstructed(field):
    _name, path, args, kwargs = field.deconstruct()
    return path, args, kwargs


def test_user_fk_defaults_are_the_who_did_it_reference():
    assert _deconstructed(user_fk("登记人")) == _deconstructed(
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            null=True,
            blank=True,
            on_delete=models.SET_NULL,
            related_name="+",
            verbose_name="登记人",
        )
    )


def test_user_fk_passes_every_difference_on():
    assert _deconstructed(user_fk("登记人", blank=False)) == _deconstructed(
        models.ForeignKey(
            settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="登记人"
        )
    )
    assert _deconstructed(user_fk("用户", on_delete=models.CASCADE, related_name="tokens")) == _deconstructed(
        models.ForeignKey(
            settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens", verbose_name="用户"
        )
    )
    assert _deconstructed(user_fk("操作人", db_constraint=False, help_text="h")) == _deconstructed(
        models.ForeignKey(
            settings.AUTH_USER_MODEL,
            null=True,
            blank=True,
            on_delete=models.SET_NULL,
            related_name="+",
            verbose_name="操作人",
            db_constraint=False,
            help_text="h",
        )
    )
    assert _deconstructed(user_fk()) == _deconstructed(
        models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    )


def test_user_m2m_is_optional_by_default():
    assert _deconstructed(user_m2m("检查人员", related_name="inspections")) == _deconstructed(
        models.ManyToManyField(
            settings.AUTH_USER_MODEL, blank=True, related_name="inspections", verbose_name="检查人员"
        )
    )


def test_every_user_reference_in_the_models_is_declared_with_the_helpers():
    """No models.py spells out ``settings.AUTH_USER_MODEL``: user_fk/user_m2m do."""
    offenders = []
    for path in sorted(SRC.glob("*/models.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and ast.unparse(node) == "settings.AUTH_USER_MODEL":
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_the_project_points_at_users_only_through_the_user_model():
    user = get_user_model()
    refs = [
        f
        for model in apps.get_models()
        if model.__module__.startswith("zhiben.")
        for f in model._meta.local_fields + list(model._meta.local_many_to_many)
        if f.is_relation and f.related_model is user
    ]
    assert len(refs) >= 40
    # the common reference: who did it, kept as NULL when the account goes
    who = [f for f in refs if isinstance(f, models.ForeignKey) and f.remote_field.on_delete is models.SET_NULL]
    assert who and all(f.null for f in who)


class Light(ColoredChoices):
    RED = "red", "红"
    GREEN = "green", "绿"
    OFF = "off", "关"

    __colors__ = {"red": "danger", "green": "success"}


class Thing:
    light_color = ChoiceColor("light", Light)
    state_color = ChoiceColor("state", Light)
    hex_color = ChoiceColor("light", {"red": "#dc3545"}, default="#6c757d")

    def __init__(self, light):
        self.light = light

    def state(self):
        return self.light


def test_choice_color_reads_the_choices_colours():
    assert Thing("red").light_color == "danger"
    assert Thing(Light.GREEN).light_color == "success"
    assert Thing("off").light_color == "secondary"
    assert Thing("").light_color == "secondary"


def test_choice_color_calls_a_method_source():
    assert Thing("green").state_color == "success"


def test_choice_color_with_a_mapping_and_default():
    assert Thing("red").hex_color == "#dc3545"
    assert Thing("green").hex_color == "#6c757d"
    assert Thing(None).hex_color == "#6c757d"


def test_choice_color_is_read_only_and_visible_on_the_class():
    thing = Thing("red")
    with pytest.raises(AttributeError):
        thing.light_color = "primary"
    assert isinstance(Thing.light_color, ChoiceColor) and Thing.light_color.name == "light_color"


def test_model_colours_keep_their_names():
    from zhiben.hazards.choices import HazardLevel, HazardStatus, RecheckResult
    from zhiben.hazards.models import Hazard, RecheckItem
    from zhiben.registry.choices import RISK_HEX, InsuranceStatus
    from zhiben.registry.models import Unit

    hazard = Hazard(status=HazardStatus.CLOSED, level=HazardLevel.MAJOR)
    assert hazard.status_color == HazardStatus.color_of(HazardStatus.CLOSED)
    assert hazard.level_color == "danger"
    assert Unit(risk_level="major").risk_color == RISK_HEX["major"]
    assert Unit(insurance_status=InsuranceStatus.UNKNOWN).insurance_color == InsuranceStatus.color_of("unknown")
    assert RecheckItem(result=RecheckResult.FAILED).result_color == "danger"
    assert Unit(risk_level="").risk_color == "#6c757d"
