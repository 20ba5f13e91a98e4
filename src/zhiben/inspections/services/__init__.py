"""Service functions of inspections: every change of a checklist, campaign
or inspection goes through one of these (see docs/architecture.md).

Audit rows: each service writes exactly one row of its own. Finishing an
inspection also creates one hazard per failed item through
``zhiben.hazards.services.hazard_create`` (one ``hazard.create`` row each, or
``hazard.link_duplicate`` when the hazard ledger reports an open duplicate),
all in the same transaction: if any hazard cannot be created, nothing is
saved.

One module per area; this package re-exports their public names, so callers
keep writing ``from zhiben.inspections import services; services.inspection_create(...)``:
``checklists``, ``campaigns`` and ``inspections``.
"""

from ..selectors import target_sites  # re-exported: callers write services.target_sites
from .campaigns import (
    TARGET_KEYS,
    campaign_create,
    campaign_draw,
    draw,
)
from .checklists import (
    checklist_create,
    checklist_publish,
    checklists_load,
    load_files,
)
from .inspections import (
    ANSWER_RESULTS,
    inspection_create,
    inspection_finish,
    inspection_update,
    leaf_category,
    self_fix_accept,
)

__all__ = [
    "ANSWER_RESULTS",
    "TARGET_KEYS",
    "campaign_create",
    "campaign_draw",
    "checklist_create",
    "checklist_publish",
    "checklists_load",
    "draw",
    "inspection_create",
    "inspection_finish",
    "inspection_update",
    "leaf_category",
    "load_files",
    "self_fix_accept",
    "target_sites",
]
