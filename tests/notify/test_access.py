"""notify/access.py and selectors.py: one's own messages only, recipients by
organization subtree, a message about a record opens only while it is visible."""

from __future__ import annotations

import pytest

from zhiben.notify import access, selectors, services
from zhiben.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_recipients_in_an_organization_include_its_sections(users, orgs):
    names = {u.username for u in selectors.recipients_in(orgs["hk-swj"])}
    assert names == {"t_leader", "t_officer", "t_section"}
    assert {u.username for u in selectors.recipients_in(orgs["hk-swj-scglk"])} == {"t_section"}
    assert {u.username for u in selectors.district_admins()} == {"t_admin"}


def test_a_user_reads_only_their_own_messages(users):
    services.notify([users["officer"], users["leader"]], title="通知")
    mine = selectors.inbox(users["officer"])
    assert [n.recipient_id for n in mine] == [users["officer"].pk]
    other = Notification.objects.get(recipient=users["leader"])
    assert selectors.notification_of(users["officer"], other.pk) is None
    services.mark_read(user=users["officer"])
    assert not selectors.inbox(users["officer"], unread_only=True).exists()


def test_a_message_about_a_record_reaches_and_opens_only_for_those_who_see_it(users, units):
    unit = units["commerce"]  # supervised by 区商务委
    sent = services.notify([users["officer"], users["expert"]], title="单位", target=unit)
    assert sent == 1
    assert access.can_view(users["officer"], unit) and not access.can_view(users["expert"], unit)
    message = Notification.objects.get(recipient=users["officer"])
    assert access.visible_targets(users["officer"], [message]) == {message.pk}
    unit.owner = units["construction"].owner
    unit.save()
    assert access.visible_targets(users["officer"], [message]) == set()
