"""Service functions of the tips app: every change of a tip goes through one
of these (see docs/architecture.md for the pattern, docs/tips.md for the rules).

Personal data: the reporter's name and phone never enter an audit payload
(``"contact": "provided"`` stands in), a notification or a hazard.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.files.models import FileKind
from zhiben.files.services import detect_format, open_stored, store_uploads
from zhiben.hazards import services as hazard_services
from zhiben.hazards.choices import DeadlineKind, HazardLevel, HazardSource
from zhiben.hazards.models import Hazard, HazardCategory
from zhiben.notify import services as notify
from zhiben.org.access import HANDLER_ROLES
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User
from zhiben.registry.models import Sector, Site, Unit

from . import workflow
from .access import can_approve_rewards, can_enter
from .choices import STAFF_CHANNELS, TipChannel, TipStatus
from .models import NAME_MAX_LENGTH, PHONE_MAX_LENGTH, TEXT_MAX_LENGTH, Tip, TipPhoto, TipReward

TRACKED_FIELDS = ["status", "channel", "routed_to", "street", "site", "unit", "hazard", "reject_reason", "reply"]
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
TRACKING_LENGTH = 12
TEXT_MIN_LENGTH = 5
MAX_URLS = 1
PUBLIC_MAX_PHOTOS = 3
STAFF_MAX_PHOTOS = 10
DEFAULT_DESK = "hk-awb"  # 区安委办: tips nobody else owns land here
TRANSFER_KINDS = {OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.OFFICE, OrgKind.STREET}
PHOTO_HINT = "只能上传 JPEG、PNG、WebP、HEIC 格式的照片"
_URL_RE = re.compile(r"(https?://|www\.|[a-z0-9-]+\.(com|cn|net|top|xyz|vip|cc)\b)", re.IGNORECASE)
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


def tip_url(tip: Tip) -> str:
    return reverse("tips:detail", args=[tip.pk])


def _audit_state(tip: Tip) -> dict[str, Any]:
    """What the audit trail keeps of a tip: never the reporter's identity."""
    return {**snapshot(tip, TRACKED_FIELDS), "contact": "provided" if tip.has_contact else "none"}


# --- Tracking codes ----------------------------------------------------------------------------


def new_tracking_code() -> str:
    """12 random characters from an unambiguous alphabet (60 bits), printed
    in groups of four: ``7KQM-X2CP-9RTW``."""
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, TRACKING_LENGTH, 4))


def normalize_code(code: str) -> str | None:
    """The code's 12 characters, or None when it cannot be one (spaces,
    dashes and case are forgiven)."""
    raw = re.sub(r"[\s\-_]", "", str(code or "")).upper()
    if len(raw) != TRACKING_LENGTH or any(ch not in TRACKING_ALPHABET for ch in raw):
        return None
    return raw


def hash_code(code: str) -> str:
    raw = normalize_code(code)
    if raw is None:
        raise ValueError("not a tracking code")
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def tip_by_tracking_code(code: str) -> Tip | None:
    raw = normalize_code(code)
    if raw is None:
        return None
    return Tip.objects.filter(tracking_hash=hash_code(raw)).first()


def public_status(tip: Tip) -> dict[str, Any]:
    """What the reporter sees on /report/track/: nothing internal."""
    return {
        "number": tip.number,
        "channel": tip.get_channel_display(),
        "received_on": tip.received_on,
        "status": tip.status,
        "status_label": tip.get_status_display(),
        "status_color": tip.status_color,
        "reply": tip.reply,
        "replied_at": tip.replied_at,
    }


# --- Routing ----------------------------------------------------------------------------------


def find_site(code: str | None) -> Site | None:
    """The active site with this public code (场所码), or None."""
    code = (code or "").strip().upper()
    if not code or len(code) > 32:
        return None
    field = "public_code" if any(f.name == "public_code" for f in Site._meta.fields) else "code"
    return Site.objects.filter(**{field: code}, is_active=True).select_related("owner", "unit", "street").first()


def site_code(site: Site) -> str:
    return getattr(site, "public_code", None) or getattr(site, "code", "")


def default_desk() -> Organization:
    """Where tips with no known owner go (``ZHIBEN_TIP_DESK``, an
    organization code; default 区安委办)."""
    code = getattr(settings, "ZHIBEN_TIP_DESK", DEFAULT_DESK)
    desk = Organization.objects.filter(code=code).first()
    if desk is None:
        desk = (
            Organization.objects.filter(kind=OrgKind.OFFICE).order_by("path").first()
            or Organization.objects.filter(kind=OrgKind.DISTRICT).order_by("path").first()
        )
    if desk is None:
        raise ConflictError("尚未加载组织机构，无法受理举报", code="no_organizations")
    return desk


def _actor_desk(actor: User | None) -> Organization | None:
    if actor is None or actor.is_district_admin:
        return None
    for m in actor.active_memberships():
        if m.role in HANDLER_ROLES:
            return m.organization
    return None


def route_for(
    *, site: Site | None, unit: Unit | None, street: Organization | None, actor: User | None = None
) -> Organization:
    """The owning department of the site (or its unit, or the named unit);
    else the entering staff member's own organization; else the 街道; else
    the district desk."""
    candidates = []
    if site is not None:
        candidates += [site.owner, site.unit.owner if site.unit_id else None]
    if unit is not None:
        candidates.append(unit.owner)
    candidates += [_actor_desk(actor), street]
    for org in candidates:
        if org is not None and org.is_active:
            return org
    return default_desk()


# --- Validation -------------------------------------------------------------------------------


def text_problem(text: str) -> str | None:
    """Why a tip's text is refused (Chinese), or None."""
    stripped = (text or "").strip()
    if not stripped:
        return "请填写举报内容"
    if len(stripped) > TEXT_MAX_LENGTH:
        return f"举报内容不能超过 {TEXT_MAX_LENGTH} 字（现为 {len(stripped)} 字），请精简后再提交"
    compact = re.sub(r"\s", "", stripped)
    if len(compact) < TEXT_MIN_LENGTH:
        return f"请具体描述隐患情况（至少 {TEXT_MIN_LENGTH} 个字）"
    if len(_URL_RE.findall(stripped)) > MAX_URLS:
        return "举报内容中网址过多，疑似广告信息，请删去网址后再提交"
    if len(set(compact)) <= 2:
        return "举报内容无效，请具体描述隐患情况"
    return None


def _photo_problems(photos: Sequence, max_count: int) -> list[str]:
    if len(photos) > max_count:
        return [f"最多上传 {max_count} 张照片（现为 {len(photos)} 张）"]
    problems = []
    for upload in photos:
        name = getattr(upload, "name", "") or "未命名文件"
        try:
            upload.seek(0)
            head = upload.read(512)
            upload.seek(0)
        except (OSError, ValueError):
            head = b""
        fmt = detect_format(head or b"")
        if fmt is None or fmt.kind != FileKind.IMAGE:
            problems.append(f"“{name}”不是照片（{PHOTO_HINT}）")
    return problems


def _validate(data: dict[str, Any], photos: Sequence, *, public: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    problem = text_problem(data.get("text", ""))
    if problem:
        errors["text"] = problem
    if len(data.get("place", "")) > 200:
        errors["place"] = "地点不能超过 200 字"
    if len(data.get("reporter_name", "")) > NAME_MAX_LENGTH:
        errors["reporter_name"] = f"姓名不能超过 {NAME_MAX_LENGTH} 字"
    phone = data.get("reporter_phone", "")
    if phone and (len(phone) > PHONE_MAX_LENGTH or not _PHONE_RE.match(phone)):
        errors["reporter_phone"] = "联系电话格式不正确（请填写手机号或座机号）"
    if len(data.get("external_ref", "")) > 40:
        errors["external_ref"] = "来件编号不能超过 40 个字符"
    if public:
        if data.get("channel") not in (TipChannel.WEB, TipChannel.INTERNAL):
            errors["channel"] = "渠道无效"
    elif data.get("channel") not in STAFF_CHANNELS:
        errors["channel"] = "请选择 12345、随申拍、来信来访或内部报告"
    street = data.get("street")
    if street is not None and street.kind != OrgKind.STREET:
        errors["street"] = "所属街道须为街道"
    received_on = data.get("received_on")
    if isinstance(received_on, dt.date) and received_on > timezone.localdate():
        errors["received_on"] = "收到日期不能晚于今天"
    photo_problems = _photo_problems(photos, PUBLIC_MAX_PHOTOS if public else STAFF_MAX_PHOTOS)
    if photo_problems:
        errors["photos"] = "；".join(photo_problems)
    return errors


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for key in ("text", "place", "reporter_name", "reporter_phone", "external_ref"):
        data[key] = str(data.get(key) or "").strip()
    return data


# --- Submitting -------------------------------------------------------------------------------


@service("tip.submit")
def tip_submit(*, actor: User | None, data: dict[str, Any], photos: Sequence = ()) -> tuple[Tip, str]:
    """Record a tip: from the public form (``actor=None``, channel 网页 or
    内部报告) or entered by staff (12345, 随申拍, 来信来访, 内部报告).

    Returns the tip and its tracking code (shown once; only its hash is kept).
    Refused input raises ValidationFailed (Chinese messages per field) and
    saves nothing.
    """
    public = actor is None
    if not public:
        require(can_enter(actor), "只有区安委办、部门和街道工作人员可以登记举报")
    data = _clean(data)
    photos = list(photos or [])
    errors = _validate(data, photos, public=public)
    if errors:
        raise ValidationFailed("举报未提交：" + "；".join(errors.values()), details=errors)
    site = data.get("site")
    unit = None if public else data.get("unit")
    if site is not None and unit is None and site.unit_id:
        unit = site.unit
    street = data.get("street") or (site.street if site is not None else None) or (unit.street if unit else None)
    try:
        stored = store_uploads(photos) if photos else []
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, details={"photos": exc.message}) from None
    code = new_tracking_code()
    while Tip.objects.filter(tracking_hash=hash_code(code)).exists():  # pragma: no cover - 60 bits
        code = new_tracking_code()
    tip = Tip.objects.create(
        channel=data["channel"],
        external_ref="" if public else data["external_ref"],
        received_on=timezone.localdate() if public else (data.get("received_on") or timezone.localdate()),
        created_by=actor,
        text=data["text"],
        place=data["place"],
        site=site,
        unit=unit,
        street=street,
        routed_to=route_for(site=site, unit=unit, street=street, actor=actor),
        reporter_name=data["reporter_name"],
        reporter_phone=data["reporter_phone"],
        tracking_hash=hash_code(code),
    )
    for upload, stored_file in zip(photos, stored, strict=True):
        TipPhoto.objects.create(
            tip=tip, file=stored_file, original_name=(upload.name or "照片")[:255], uploaded_by=actor
        )
    audit_record(
        action="tip.submit",
        actor=actor,
        obj=tip,
        actor_name="" if actor else "举报人（网页）",
        after={**_audit_state(tip), "photos": len(stored), "text_length": len(tip.text)},
    )
    _notify_routed(tip, actor, f"新举报待处理：{tip.number}（{tip.get_channel_display()}）", "tip.submit")
    return tip, code


def _notify_routed(tip: Tip, actor: User | None, title: str, kind: str, body: str = "") -> None:
    """Tell the handlers of the routed organization. Never the contact."""
    where = tip.site.name if tip.site_id else tip.place
    text = body or (f"地点：{where}" if where else "")

    def send():
        users = notify.recipients_in(tip.routed_to)
        if tip.routed_to.kind == OrgKind.OFFICE:
            users += notify.district_admins()
        notify.notify(users, title=title, body=text, url=tip_url(tip), kind=kind, exclude=actor, target=tip)

    transaction.on_commit(send)


# --- Triage -----------------------------------------------------------------------------------


def _lock(tip: Tip | int) -> Tip:
    pk = tip.pk if isinstance(tip, Tip) else tip
    return Tip.objects.select_for_update(of=("self",)).select_related("routed_to", "street", "site", "unit").get(pk=pk)


def _begin(name: str, actor: User, tip: Tip | int) -> tuple[Tip, dict[str, Any]]:
    tip = _lock(tip)
    ok, code, message = workflow.check(workflow.TRANSITIONS[name], actor, tip)
    if not ok:
        if code == "permission_denied":
            raise PermissionDeniedError(message)
        raise ConflictError(message, code=code)
    return tip, _audit_state(tip)


def _reason(reason: str, label: str = "理由") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(f"请填写{label}", details={"reason": f"请填写{label}"})
    if len(reason) > TEXT_MAX_LENGTH:
        raise ValidationFailed(f"{label}不能超过 {TEXT_MAX_LENGTH} 字", details={"reason": "过长"})
    return reason


def _tip_photos_as_uploads(tip: Tip) -> list[SimpleUploadedFile]:
    uploads = []
    for photo in tip.photos.select_related("file"):
        try:
            with open_stored(photo.file) as handle:
                uploads.append(SimpleUploadedFile(photo.original_name, handle.read()))
        except FileNotFoundError:  # pragma: no cover - storage lost the blob
            continue
    return uploads


def hazard_data_for(tip: Tip, *, sector: Sector, category: HazardCategory, title: str, level: str) -> dict:
    """The hazard a tip becomes: owned by the routed organization, in the
    tip's 街道; the reporter appears only as “举报”."""
    site, unit = tip.site, tip.unit
    street = tip.street or (tip.routed_to if tip.routed_to.kind == OrgKind.STREET else None)
    data = {
        "sector": sector,
        "category": category,
        "level": level or HazardLevel.GENERAL,
        "source": HazardSource.REPORT,
        "found_on": tip.received_on,
        "finder_name": f"{tip.get_channel_display()}举报 {tip.number}",
        "title": (title or "").strip() or tip.text.strip().splitlines()[0][:30],
        "description": tip.text,
        "location": tip.place,
        "unit": unit,
        "unit_name": unit.name if unit else (site.name if site else (tip.place or "（举报未指明单位）"))[:200],
        "address": (site.address if site else "") or (unit.address if unit else ""),
        "street": street,
        "owner": tip.routed_to,
        "deadline_kind": DeadlineKind.DATE,
    }
    if site is not None and any(f.name == "site" for f in Hazard._meta.fields):
        data["site"] = site
    return data


@service("tip.accept")
def tip_accept(
    *,
    actor: User,
    tip: Tip | int,
    sector: Sector,
    category: HazardCategory,
    title: str = "",
    level: str = HazardLevel.GENERAL,
    allow_duplicate: bool = False,
) -> Tip:
    """受理: put the reported hazard on the ledger (source 举报) with the tip's
    photos as 整改前 evidence. May raise hazards' PossibleDuplicate (then link)."""
    tip, before = _begin("accept", actor, tip)
    hazard = hazard_services.hazard_create(
        actor=actor,
        data=hazard_data_for(tip, sector=sector, category=category, title=title, level=level),
        before_files=_tip_photos_as_uploads(tip),
        allow_duplicate=allow_duplicate,
        notify_owner=True,
    )
    tip.hazard, tip.hazard_created = hazard, True
    tip.status = TipStatus.ACCEPTED
    tip.decided_at, tip.decided_by = timezone.now(), actor
    tip.save()
    audit_record(action="tip.accept", actor=actor, obj=tip, before=before, after=_audit_state(tip))
    return tip


@service("tip.link")
def tip_link(*, actor: User, tip: Tip | int, hazard: Hazard) -> Tip:
    """受理 by linking an open hazard already on the ledger (recorded on the
    hazard as a 重复发现)."""
    tip, before = _begin("link", actor, tip)
    if not hazard.is_open:
        raise ConflictError("该隐患已销号或作废，请新建隐患", code="hazard_closed")
    hazard_services.hazard_link_duplicate(
        actor=actor, hazard=hazard, text=f"{tip.get_channel_display()}举报 {tip.number}：{tip.text}"
    )
    tip.hazard, tip.hazard_created = hazard, False
    tip.status = TipStatus.ACCEPTED
    tip.decided_at, tip.decided_by = timezone.now(), actor
    tip.save()
    audit_record(action="tip.link", actor=actor, obj=tip, before=before, after=_audit_state(tip))
    return tip


@service("tip.transfer")
def tip_transfer(*, actor: User, tip: Tip | int, to_org: Organization, reason: str) -> Tip:
    """移交 to the responsible department or 街道 (it becomes theirs at once)."""
    tip, before = _begin("transfer", actor, tip)
    reason = _reason(reason, "移交理由")
    if to_org.kind not in TRANSFER_KINDS or not to_org.is_active:
        raise ValidationFailed("只能移交给委办局、科室、办公室或街道", details={"to_org": "无效的接收单位"})
    if to_org.pk == tip.routed_to_id:
        raise ValidationFailed("不能移交给当前承办单位", details={"to_org": "不能移交给当前承办单位"})
    tip.routed_to = to_org
    tip.status = TipStatus.TRANSFERRED
    tip.save()
    audit_record(action="tip.transfer", actor=actor, obj=tip, before=before, after=_audit_state(tip), reason=reason)
    _notify_routed(tip, actor, f"移交的举报待处理：{tip.number}", "tip.transfer", body=f"移交理由：{reason}")
    return tip


@service("tip.reject")
def tip_reject(*, actor: User, tip: Tip | int, reason: str) -> Tip:
    """不予受理 (with the reason; answer the reporter with a reply)."""
    tip, before = _begin("reject", actor, tip)
    tip.reject_reason = _reason(reason, "不予受理理由")
    tip.status = TipStatus.REJECTED
    tip.decided_at, tip.decided_by = timezone.now(), actor
    tip.save()
    audit_record(
        action="tip.reject", actor=actor, obj=tip, before=before, after=_audit_state(tip), reason=tip.reject_reason
    )
    return tip


@service("tip.reply")
def tip_reply(*, actor: User, tip: Tip | int, text: str) -> Tip:
    """答复: the text the reporter sees with the tracking code. A later reply
    replaces the text; the deadline is judged by the first one."""
    tip, before = _begin("reply", actor, tip)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("请填写答复内容", details={"text": "请填写答复内容"})
    if len(text) > TEXT_MAX_LENGTH:
        raise ValidationFailed(f"答复不能超过 {TEXT_MAX_LENGTH} 字", details={"text": "过长"})
    tip.reply = text
    tip.status = TipStatus.REPLIED
    if tip.replied_at is None:
        tip.replied_at = timezone.now()
    tip.replied_by = actor
    tip.save()
    audit_record(action="tip.reply", actor=actor, obj=tip, before=before, after=_audit_state(tip))
    return tip


@service("tip.reward")
def tip_reward_record(
    *, actor: User, tip: Tip | int, amount: Decimal | str, basis: str, approved_on: dt.date
) -> TipReward:
    """举报奖励 for an accepted tip, approved by 区安委办 or a leader of the
    routed department (the actor is recorded as the approver)."""
    tip = _lock(tip)
    require(can_approve_rewards(actor, tip), "举报奖励由区安委办或承办部门领导批准")
    if tip.hazard_id is None:
        raise ConflictError("只有已受理（形成隐患）的举报可以奖励", code="not_accepted")
    errors = {}
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or amount <= 0 or amount >= Decimal("100000000"):
        errors["amount"] = "奖励金额应大于 0"
    if not (basis or "").strip():
        errors["basis"] = "请填写奖励依据"
    if approved_on is None or approved_on > timezone.localdate():
        errors["approved_on"] = "批准日期不能晚于今天"
    if errors:
        raise ValidationFailed("奖励信息有误：" + "；".join(errors.values()), details=errors)
    reward = TipReward.objects.create(
        tip=tip, amount=amount, basis=basis.strip(), approved_on=approved_on, approved_by=actor
    )
    audit_record(
        action="tip.reward",
        actor=actor,
        obj=tip,
        after={"reward": reward.pk, "amount": amount, "basis": reward.basis, "approved_on": approved_on},
    )
    return reward


# --- One dispatcher for the workflow's transitions ---------------------------------------------

# The service of each transition of workflow.py.
TRANSITION_SERVICES = {
    "accept": tip_accept,
    "link": tip_link,
    "transfer": tip_transfer,
    "reject": tip_reject,
    "reply": tip_reply,
}


def tip_transition(actor: User, tip: Tip | int, name: str, /, **data):
    """Make the transition ``name`` (a row of workflow.py) through its service:
    the one dispatcher behind the detail page's action forms. ``data`` are
    that service's keyword arguments."""
    return TRANSITION_SERVICES[name](actor=actor, tip=tip, **data)
