"""Pagination of every list page."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PAGE_SIZE = 50


def page_of(request: HttpRequest, qs, per_page: int = PAGE_SIZE) -> Page:
    """The page of ``qs`` named by ``?page=`` (the first or last when out of range)."""
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


def paginate(request: HttpRequest, qs, per_page: int = PAGE_SIZE) -> dict:
    """Template context of a paginated list: ``page_obj`` and
    ``querystring_without_page`` (the current filters, ending in ``&`` when
    there are any, for the page links)."""
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return {"page_obj": page_of(request, qs, per_page), "querystring_without_page": f"{encoded}&" if encoded else ""}
