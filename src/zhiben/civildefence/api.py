"""API of civildefence (人防工程)."""

from ninja import Router

router = Router(tags=["人防工程"])
