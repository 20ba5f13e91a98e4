"""Service functions for units."""

from __future__ import annotations

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ValidationFailed
from zhiben.core.services import require, service
from zhiben.core.validators import uscc_problem
from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import Organization, User

from .models import Sector, Unit

UNIT_FIELDS = ["name", "uscc", "address", "street", "owner"]


def can_create_unit(actor: User, owner: Organization | None) -> bool:
    """District administrators anywhere; department staff for units their
    own organization subtree supervises."""
    if actor.is_district_admin:
        return True
    if owner is None:
        return False
    return any(
        m.role in (Role.DEPT_LEADER, Role.DEPT_OFFICER) and owner.is_within(m.organization)
        for m in actor.active_memberships()
    )


@service("unit.create")
def unit_create(
    *,
    actor: User,
    name: str,
    uscc: str | None = None,
    address: str = "",
    street: Organization | None = None,
    owner: Organization | None = None,
) -> Unit:
    require(can_create_unit(actor, owner), "您不能登记由其他部门主管的单位")
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "请填写单位名称"
    uscc = (uscc or "").strip().upper() or None
    if uscc:
        problem = uscc_problem(uscc)
        if problem:
            errors["uscc"] = problem
        elif Unit.objects.filter(uscc=uscc).exists():
            errors["uscc"] = "该统一社会信用代码已登记"
    if street is not None and street.kind != OrgKind.STREET:
        errors["street"] = "所属街道必须是街道"
    if errors:
        raise ValidationFailed("单位信息有误", details=errors)
    unit = Unit.objects.create(name=name, uscc=uscc, address=address.strip(), street=street, owner=owner)
    audit_record(action="unit.create", actor=actor, obj=unit, after=snapshot(unit, UNIT_FIELDS))
    return unit


@service("sector.load_reference")
def sectors_load(*, rows: list[dict], actor: User | None = None) -> int:
    """Create or update sectors from reference data (by code); returns how
    many changed."""
    changed = 0
    for index, row in enumerate(rows):
        owner = Organization.objects.filter(code=row["owner"]).first() if row.get("owner") else None
        defaults = {"name": row["name"], "owner": owner, "plan_file": row.get("plan") or "", "sort_order": index}
        sector = Sector.objects.filter(code=row["code"]).first()
        if sector is None:
            Sector.objects.create(code=row["code"], **defaults)
            changed += 1
        elif any(getattr(sector, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(sector, k, v)
            sector.save()
            changed += 1
    if changed:
        audit_record(
            action="sector.load_reference", actor=actor, object_type="registry.sector", after={"changed": changed}
        )
    return changed
