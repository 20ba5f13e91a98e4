"""Accounts disabled before tokens and sessions ended with the account: revoke
their tokens and delete their sessions now, so re-enabling them later revives
neither. Nothing to undo."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def end_credentials(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Token = apps.get_model("accounts", "PersonalAccessToken")
    now = timezone.now()
    inactive = set(User.objects.filter(is_active=False).values_list("pk", flat=True))
    if not inactive:
        return
    Token.objects.filter(user_id__in=inactive, revoked_at__isnull=True).update(revoked_at=now)
    from django.contrib.sessions.backends.db import SessionStore

    Session = apps.get_model("sessions", "Session")
    store = SessionStore()
    doomed = []
    for session in Session.objects.all().iterator():
        user_id = store.decode(session.session_data).get("_auth_user_id")  # {} when unreadable
        if user_id is not None and str(user_id).isdigit() and int(user_id) in inactive:
            doomed.append(session.session_key)
    Session.objects.filter(session_key__in=doomed).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("sessions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(end_credentials, migrations.RunPython.noop)]
