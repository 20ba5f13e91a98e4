"""Who may open a stored file — every access decision of the files app is here.

* a stored file has no page and no URL of its own: it is reached only
  through the record it belongs to (a hazard's evidence, a unit's document,
  an inspection photo, a plan obligation's evidence…), through a view of the
  app that owns that record;
* that view first finds the record in the user's scope (out of scope: 404,
  the record's existence is not revealed), then the link among *that
  record's* links (:func:`file_link_or_404`): a link id belonging to another
  record is a 404 too, never a file;
* whoever may see the record may open all its files; uploading follows the
  right to change the record, checked by the owning app's service.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from django.http import Http404


def file_link_or_404(links: QuerySet, pk: int, message: str = "") -> Model:
    """The link ``pk`` among ``links`` (the file links of one record already
    found in the user's scope), with its stored file; Http404 otherwise."""
    link = links.filter(pk=pk).select_related("file").first()
    if link is None:
        raise Http404(message) if message else Http404
    return link
