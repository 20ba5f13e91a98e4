"""A new tip is announced only to those who can open it (issue 9, item 3:
notifications reached users who could not see the record)."""

from __future__ import annotations

import pytest
from django.db import transaction

from zhiben.notify.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_tip_routed_to_a_bureau_is_not_announced_to_its_sections(users, submit, login):
    with transaction.atomic():
        tip, _ = submit()  # at a 商务委 site: routed to 区商务委
    assert tip.routed_to.code == "hk-swj"
    told = set(Notification.objects.filter(kind="tip.submit").values_list("recipient__username", flat=True))
    assert "t_officer" in told and "t_leader" in told
    assert "t_section" not in told  # a 科室 cannot open a tip routed to its bureau
    for note in Notification.objects.filter(kind="tip.submit"):
        assert login(note.recipient).get(note.url).status_code == 200
