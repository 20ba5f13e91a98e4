"""Service functions of the registry, one module per area: ``units`` (units, their flags
and documents), ``sites``, ``confined`` (有限空间 and their 作业审批), ``grids``, ``risk`` (LEC/LS grading) and ``reference`` (sectors, tags,
site types, who owns what). The rights they check are stated in ``registry/access.py``.
Everything is re-exported here: callers write ``from zhiben.registry import services``.
"""

from ..access import (
    STAFF_ROLES,
    can_add_document,
    can_assess,
    can_change_unit,
    can_create_unit,
    can_manage_grid,
    can_manage_site,
    can_see_contacts,
    is_unit_member,
)
from ._common import (
    CONTACT_FIELDS,
    OWNER_KINDS,
    PHONE_FIELDS,
    PHONE_RE,
    SITE_FIELDS,
    UNIT_DETAIL_FIELDS,
    UNIT_EDITABLE,
    UNIT_FIELDS,
)
from .confined import clean_permit, clean_space, confined_permit_record, confined_space_create, confined_space_update
from .grids import grid_create, grid_update
from .reference import registry_reference_load, sectors_load
from .risk import (
    DEFAULT_RISK_BANDS,
    DEFAULT_VALIDITY_DAYS,
    LEC_VALUES,
    LS_VALUES,
    level_for,
    risk_assess,
    risk_bands,
    risk_score,
)
from .sites import clean_attributes, default_site_owner, prepare_site, site_create, site_update
from .units import (
    UNIT_CHOICE_VALUES,
    _one_year_after,
    document_add,
    flag_add,
    flag_lift,
    normalize_unit,
    unit_create,
    unit_errors,
    unit_update,
)

__all__ = [
    "CONTACT_FIELDS",
    "DEFAULT_RISK_BANDS",
    "DEFAULT_VALIDITY_DAYS",
    "LEC_VALUES",
    "LS_VALUES",
    "OWNER_KINDS",
    "PHONE_FIELDS",
    "PHONE_RE",
    "SITE_FIELDS",
    "STAFF_ROLES",
    "UNIT_CHOICE_VALUES",
    "UNIT_DETAIL_FIELDS",
    "UNIT_EDITABLE",
    "UNIT_FIELDS",
    "_one_year_after",
    "can_add_document",
    "can_assess",
    "can_change_unit",
    "can_create_unit",
    "can_manage_grid",
    "can_manage_site",
    "can_see_contacts",
    "clean_attributes",
    "clean_permit",
    "clean_space",
    "confined_permit_record",
    "confined_space_create",
    "confined_space_update",
    "default_site_owner",
    "document_add",
    "flag_add",
    "flag_lift",
    "grid_create",
    "grid_update",
    "is_unit_member",
    "level_for",
    "normalize_unit",
    "prepare_site",
    "registry_reference_load",
    "risk_assess",
    "risk_bands",
    "risk_score",
    "sectors_load",
    "site_create",
    "site_update",
    "unit_create",
    "unit_errors",
    "unit_update",
]
