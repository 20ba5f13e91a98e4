"""API of construction (建设工程)."""

from ninja import Router

router = Router(tags=["建设工程"])
