"""风险分级：LEC/LS 评估与当前等级。"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.errors import ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.models import User

from ..access import can_assess
from ..choices import (
    RiskLevel,
    RiskMethod,
)
from ..models import (
    RiskAssessment,
    Site,
    Unit,
)

# --- Risk grading -------------------------------------------------------------------------

# Bands from the highest level down; a score matching none is 低风险.
# Each band is (comparison, threshold, level). Override with ZHIBEN_RISK_BANDS.
DEFAULT_RISK_BANDS: dict[str, list[tuple[str, float, str]]] = {
    RiskMethod.LEC: [(">", 320, RiskLevel.MAJOR), (">=", 160, RiskLevel.LARGE), (">=", 70, RiskLevel.GENERAL)],
    RiskMethod.LS: [(">=", 20, RiskLevel.MAJOR), (">=", 12, RiskLevel.LARGE), (">=", 6, RiskLevel.GENERAL)],
}
# The values the LEC tables allow (作业条件危险性分析法) and the 1–5 scales of LS.
LEC_VALUES = {
    "L": ("10", "6", "3", "1", "0.5", "0.2", "0.1"),
    "E": ("10", "6", "3", "2", "1", "0.5"),
    "C": ("100", "40", "15", "7", "3", "1"),
}
LS_VALUES = {"L": ("1", "2", "3", "4", "5"), "S": ("1", "2", "3", "4", "5")}
DEFAULT_VALIDITY_DAYS = 365


def risk_bands(method: str) -> list[tuple[str, Decimal, str]]:
    configured = getattr(settings, "ZHIBEN_RISK_BANDS", None) or {}
    bands = configured.get(method) or DEFAULT_RISK_BANDS[method]
    return [(op, Decimal(str(threshold)), level) for op, threshold, level in bands]


def level_for(method: str, score: Decimal) -> str:
    for op, threshold, level in risk_bands(method):
        if (op == ">" and score > threshold) or (op == ">=" and score >= threshold):
            return level
    return RiskLevel.LOW


def risk_score(method: str, inputs: dict[str, Any]) -> tuple[Decimal, dict[str, str]]:
    """(score, the inputs as normalised strings); ValidationFailed when an
    input is missing or not one of the method's values."""
    if method not in RiskMethod.values:
        raise ValidationFailed("评估方法无效", details={"method": "应为 lec 或 ls"})
    allowed = LEC_VALUES if method == RiskMethod.LEC else LS_VALUES
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, values in allowed.items():
        raw = (inputs or {}).get(key)
        try:
            value = Decimal(str(raw)).normalize() if raw not in (None, "") else None
        except InvalidOperation:
            value = None
        match = next((v for v in values if value is not None and Decimal(v) == value), None)
        if match is None:
            errors[key] = f"{key} 取值应为：{'、'.join(values)}"
        else:
            clean[key] = match
    if errors:
        raise ValidationFailed("评估参数有误：" + "；".join(errors.values()), details=errors)
    score = Decimal(1)
    for value in clean.values():
        score *= Decimal(value)
    return score.quantize(Decimal("0.01")), clean


def _refresh_current_level(subject: Unit | Site) -> None:
    latest = subject.assessments.order_by("-assessed_on", "-id").first()
    level, on = (latest.level, latest.assessed_on) if latest else ("", None)
    type(subject).objects.filter(pk=subject.pk).update(risk_level=level, risk_assessed_on=on)
    subject.risk_level, subject.risk_assessed_on = level, on


@service("risk.assess")
def risk_assess(
    *,
    actor: User,
    unit: Unit | None = None,
    site: Site | None = None,
    method: str,
    inputs: dict[str, Any],
    assessed_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    note: str = "",
) -> RiskAssessment:
    """Record a risk assessment; the subject's current level becomes the
    latest assessment's (by date; a back-dated one only adds history)."""
    if (unit is None) == (site is None):
        raise ValidationFailed("请指定一个单位或场所", details={"subject": "单位和场所须且只能指定一个"})
    model = Unit if unit is not None else Site
    subject = model.objects.select_for_update().get(pk=(unit or site).pk)
    require(can_assess(actor, subject), "您不能评估该单位或场所的风险")
    today = timezone.localdate()
    assessed_on = assessed_on or today
    errors = {}
    if assessed_on > today:
        errors["assessed_on"] = "评估日期不能晚于今天"
    days = int(getattr(settings, "ZHIBEN_RISK_VALIDITY_DAYS", DEFAULT_VALIDITY_DAYS))
    valid_until = valid_until or assessed_on + dt.timedelta(days=days)
    if valid_until < assessed_on:
        errors["valid_until"] = "有效期不能早于评估日期"
    if errors:
        raise ValidationFailed("评估信息有误：" + "；".join(errors.values()), details=errors)
    score, clean = risk_score(method, inputs)
    level = level_for(method, score)
    assessment = RiskAssessment.objects.create(
        unit=subject if model is Unit else None,
        site=subject if model is Site else None,
        method=method,
        inputs=clean,
        score=score,
        level=level,
        assessed_on=assessed_on,
        valid_until=valid_until,
        assessor=actor,
        note=(note or "").strip(),
    )
    _refresh_current_level(subject)
    audit_record(
        action="risk.assess",
        actor=actor,
        obj=subject,
        after={
            "assessment": assessment.pk,
            "method": method,
            "inputs": clean,
            "score": score,
            "level": level,
            "assessed_on": assessed_on,
            "valid_until": valid_until,
            "current_level": subject.risk_level,
        },
    )
    return assessment
