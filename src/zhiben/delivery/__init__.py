"""Delivery of messages beyond the inbox: e-mail (per user's channel choices)
and signed webhooks for hazard and report events."""
