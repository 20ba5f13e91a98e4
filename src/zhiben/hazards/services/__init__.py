"""Service functions of the hazard ledger: every change of a hazard goes
through one of these (see docs/architecture.md for the pattern).

One module per area; this package re-exports their public names, so callers
keep writing ``from zhiben.hazards import services; services.hazard_create(...)``:

- ``editing``: create and edit, notes, evidence, bulk assignment
- ``transitions``: confirm, submit, verify, fix on the spot, transfer, void, reopen
- ``governance``: 治理方案 and 督办
- ``recheck``: 回头看
- ``_common``: fields, errors and helpers the modules share
"""

from ..access import can_create_for
from ._common import (
    DUPLICATE_SIMILARITY,
    EDITABLE_FIELDS,
    OWNER_KINDS,
    TRACKED_FIELDS,
    PossibleDuplicate,
    hazard_url,
    who_may,
)
from .editing import (
    category_allowed,
    find_duplicates,
    hazard_add_evidence,
    hazard_add_note,
    hazard_assign,
    hazard_create,
    hazard_link_duplicate,
    hazard_update,
    length_errors,
)
from .governance import (
    governance_plan_save,
    supervision_close,
    supervision_feedback_add,
    supervision_open,
)
from .recheck import (
    default_seed,
    draw_sample,
    recheck_draw,
    recheck_population,
    recheck_record,
)
from .transitions import (
    TRANSITION_SERVICES,
    hazard_confirm,
    hazard_fix_on_spot,
    hazard_reopen,
    hazard_submit,
    hazard_transfer,
    hazard_transfer_accept,
    hazard_transfer_return,
    hazard_transition,
    hazard_verify_fail,
    hazard_verify_pass,
    hazard_void,
)

__all__ = [
    "DUPLICATE_SIMILARITY",
    "EDITABLE_FIELDS",
    "OWNER_KINDS",
    "TRACKED_FIELDS",
    "TRANSITION_SERVICES",
    "PossibleDuplicate",
    "can_create_for",
    "category_allowed",
    "default_seed",
    "draw_sample",
    "find_duplicates",
    "governance_plan_save",
    "hazard_add_evidence",
    "hazard_add_note",
    "hazard_assign",
    "hazard_confirm",
    "hazard_create",
    "hazard_fix_on_spot",
    "hazard_link_duplicate",
    "hazard_reopen",
    "hazard_submit",
    "hazard_transfer",
    "hazard_transfer_accept",
    "hazard_transfer_return",
    "hazard_transition",
    "hazard_update",
    "hazard_url",
    "hazard_verify_fail",
    "hazard_verify_pass",
    "hazard_void",
    "length_errors",
    "recheck_draw",
    "recheck_population",
    "recheck_record",
    "supervision_close",
    "supervision_feedback_add",
    "supervision_open",
    "who_may",
]
