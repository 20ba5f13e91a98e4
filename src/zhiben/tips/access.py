"""Who may do what with tips (举报).

Seeing (``visible_tips``; zhiben.core.scoping with Tip's ``ScopeSpec``):

* anyone, without an account, may file a tip (/report/) and follow it with
  its tracking code (/report/track/): they see its status and the reply,
  nothing else;
* 区安委办管理员 and superusers see every tip;
* 部门领导 / 部门经办人, 第三方专家 and 只读 users see the tips routed to their
  organization or one below it;
* 街道经办人 see the tips routed to their 街道 and those located in it, even
  when routed elsewhere;
* 企业用户 see no tip (tips are not tied to their unit's scope);
* out of scope is 404, and the attempt is audited.

The reporter's name and phone (``can_see_contact``) are shown in clear only
to 区安委办 and the staff (部门领导/经办人/街道经办人) of the organization the
tip is routed to or one above it — never to a 街道 that sees the tip only
because it lies in its territory, nor to experts or read-only users.

Acting on a tip is decided by the user's *parties* for it (workflow.py):

* 受理 / 关联 / 移交 / 不予受理 / 答复: 区安委办 and the routed
  organization's staff (the table in workflow.py, docs/tips-workflow.md);
* 举报奖励 (``can_reward``): 区安委办 or a 部门领导 of the routed
  organization (or above), for accepted tips (those that became a hazard);
* staff entry of a tip from 12345/随申拍/来信 (``can_enter``): 区安委办,
  部门领导/经办人 and 街道经办人;
* photos of a tip: whoever sees the tip.
"""

from __future__ import annotations

from zhiben.org.access import HANDLER_ROLES

from . import workflow
from .models import Tip

Party = workflow.Party
CONTACT_PARTIES = frozenset({Party.ADMIN, Party.HANDLER})
REWARD_PARTIES = frozenset({Party.ADMIN, Party.LEADER})


def visible_tips(user):
    """The tips ``user`` may see."""
    return Tip.objects.restrict(user, "view")


def can_see_contact(user, tip) -> bool:
    """The reporter's name and phone in clear: 区安委办 and the staff of the
    department/街道 the tip is routed to. Nobody else, anywhere."""
    return bool(workflow.parties(user, tip) & CONTACT_PARTIES)


def can_approve_rewards(user, tip) -> bool:
    """区安委办 or a leader of the routed department (the status is the service's check)."""
    return bool(workflow.parties(user, tip) & REWARD_PARTIES)


def can_reward(user, tip) -> bool:
    """Rewards are approved by 区安委办 or a leader of the routed department,
    for accepted tips only."""
    return tip.hazard_id is not None and can_approve_rewards(user, tip)


def can_enter(actor) -> bool:
    """Staff entry (/tips/new/): 区安委办, department staff and 街道 officers."""
    return bool(
        getattr(actor, "is_authenticated", False) and (actor.is_district_admin or actor.has_role(*HANDLER_ROLES))
    )


__all__ = [
    "can_approve_rewards",
    "can_enter",
    "can_reward",
    "can_see_contact",
    "visible_tips",
]
