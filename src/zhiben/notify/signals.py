"""Signals notify sends (listeners: delivery, for instant e-mail)."""

from django.dispatch import Signal

# Sent after messages were created (``recipient_ids``: the users who got one). Bulk creation sends
# no post_save, hence this signal.
notifications_created = Signal()
