"""API of transport (道路运输)."""

from ninja import Router

router = Router(tags=["道路运输"])
