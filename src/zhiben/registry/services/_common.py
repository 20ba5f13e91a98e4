"""Constants the registry services share (field lists, phone pattern, owner kinds)."""

from __future__ import annotations

import re

from zhiben.org.choices import OrgKind

# Fields of a unit written to the audit trail as they are; the phone numbers
# are written masked (personal data stays out of the append-only trail).
UNIT_FIELDS = [
    "name",
    "uscc",
    "address",
    "street",
    "owner",
    "sector",
    "industry_type",
    "legal_rep_name",
    "safety_contact_name",
    "insurance_status",
    "insurance_expiry",
    "standardization_level",
    "license_status",
    "license_expiry",
    "note",
]
PHONE_FIELDS = ["legal_rep_phone", "safety_contact_phone"]
UNIT_DETAIL_FIELDS = [*UNIT_FIELDS[5:], *PHONE_FIELDS, "tags"]
UNIT_EDITABLE = [*UNIT_FIELDS, *PHONE_FIELDS, "tags"]
# What an enterprise user may correct on its own unit.
CONTACT_FIELDS = ["legal_rep_name", "legal_rep_phone", "safety_contact_name", "safety_contact_phone"]
SITE_FIELDS = [
    "name",
    "site_type",
    "unit",
    "address",
    "street",
    "owner",
    "latitude",
    "longitude",
    "attributes",
    "is_active",
    "note",
]
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,18}[0-9]$")
OWNER_KINDS = {OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.OFFICE, OrgKind.STREET, OrgKind.DISTRICT}
