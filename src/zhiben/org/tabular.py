"""Organisations in spreadsheets: how an import template, an importer and an
export name 部门, 科室 and 街道 (used by hazards and registry alike).

* Names written: :func:`org_label` — an organisation's display name, a 科室
  as "部门/科室" (section names such as 办公室 repeat across departments);
  :func:`org_labels` gives them for every organisation at once (exports),
  :func:`owner_options` the dropdown of 行业主管部门 / 负责部门 and
  :func:`street_names` the dropdown of 所属街道 (active ones, in tree order).
* The 行业主管部门 column itself: :func:`owner_column`.
* Names read: :class:`OrgLookup` resolves a cell — a full name, short name or
  alias, or a "上级/下级" path (the parent by name, then the child within it) —
  memoised per distinct text, so that a file of 100,000 rows costs one query
  per distinct name.

Rules about who may use which organisation stay with each app's services.
"""

from __future__ import annotations

from zhiben.core.tabular import CHOICE, Column
from zhiben.core.tabular.lookups import clean_path

from .choices import OrgKind
from .models import Organization

OWNER_OPTION_KINDS = (OrgKind.DEPARTMENT, OrgKind.OFFICE, OrgKind.SECTION, OrgKind.STREET)
OWNER_HELP = "部门全称、简称或别名均可，科室写“部门/科室”；留空则为行业领域的主管部门；须为您有权登记的部门"


def owner_column(key: str = "owner", width: float = 18) -> Column:
    """The 行业主管部门 column (hazards, units): a suggested dropdown of
    :func:`owner_options`; any name :class:`OrgLookup` resolves is accepted."""
    return Column("行业主管部门", key, width, False, OWNER_HELP, CHOICE)


def org_label(org: Organization, by_path: dict[str, Organization]) -> str:
    """Display name; a 科室 as "部门/科室" (section names repeat across departments)."""
    if org.kind != OrgKind.SECTION:
        return org.display_name
    path = org.path
    while True:
        path = path[: path.rstrip("/").rfind("/") + 1]
        parent = by_path.get(path)
        if parent is None:
            return org.display_name
        if parent.kind != OrgKind.SECTION:
            return f"{parent.display_name}/{org.display_name}"


def org_labels() -> dict[int, str]:
    """{pk: label} of every organisation (for exports: one query)."""
    orgs = list(Organization.objects.all())
    by_path = {o.path: o for o in orgs}
    return {o.pk: org_label(o, by_path) for o in orgs}


def owner_options() -> list[str]:
    """Labels of the active departments, offices, sections and 街道, in tree order."""
    orgs = list(Organization.objects.filter(is_active=True).order_by("path"))
    by_path = {o.path: o for o in orgs}
    return [org_label(o, by_path) for o in orgs if o.kind in OWNER_OPTION_KINDS]


def street_names() -> list[str]:
    """Names of the active 街道, in tree order."""
    return list(
        Organization.objects.filter(kind=OrgKind.STREET, is_active=True).order_by("path").values_list("name", flat=True)
    )


class OrgLookup:
    """Organisations by the text of a cell, memoised; ``by_id`` holds every
    organisation found (so that an importer can look one up by pk again)."""

    def __init__(self):
        self._by_text: dict[str, Organization | None] = {}
        self.by_id: dict[int, Organization] = {}

    def __call__(self, text: str) -> Organization | None:
        text = clean_path(text)
        if text not in self._by_text:
            org = Organization.objects.resolve(text)
            if org is None and "/" in text:
                parent_name, _, child = text.rpartition("/")
                parent = self(parent_name)
                if parent is not None:
                    org = Organization.objects.resolve(child, within=parent)
            self._by_text[text] = org
            if org is not None:
                self.by_id[org.pk] = org
        return self._by_text[text]

    def get(self, pk: int | None) -> Organization | None:
        """The organisation ``pk`` (one query the first time), or None for None."""
        if pk is None:
            return None
        if pk not in self.by_id:
            self.by_id[pk] = Organization.objects.get(pk=pk)
        return self.by_id[pk]
