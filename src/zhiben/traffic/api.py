"""API of traffic (道路交通)."""

from ninja import Router

router = Router(tags=["道路交通"])
