"""Page actions derived from a workflow table (``zhiben.core.workflow``).

A record's detail page offers the transitions the user may make now, each
with its form, and posts them all to one view, ``…/do/<name>/``. The app
declares which transitions its pages offer and with which form (``None``: a
button without fields) and keeps one dispatcher
``perform(actor, obj, name, **data)`` (the same the API uses); this module
does the rest:

* :func:`transition_forms` — the (transition, form) pairs for the page, in
  table order: a bound form carried back after a refusal, else a fresh one;
* :func:`post_transition` — the view's body: 405 unless POST, 404 for an
  action the page does not offer, the form validated, the service called
  with the form's cleaned data (and the posted ``version`` as
  ``expected_version``), a refusal shown where it belongs, success reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed

from zhiben.core.errors import ServiceError
from zhiben.core.workflow import Transition, Workflow

PageForms = Mapping[str, Any]  # transition name -> form class, or None for a bare button


def posted_version(request) -> int | None:
    """The record version the page was drawn from (optimistic locking), if posted."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def transition_forms(
    workflow: Workflow,
    user,
    obj,
    page_forms: PageForms,
    *,
    bound: Mapping[str, Any] | None = None,
    initial: Callable[[Transition], dict] | None = None,
) -> list[tuple[Transition, Any]]:
    """The transitions ``user`` may make on ``obj`` that the page offers, each
    with its form: the one in ``bound`` (carried back with its errors), else a
    new one (with ``initial(transition)``), else None for a bare button."""
    bound = bound or {}
    pairs = []
    for t in workflow.allowed(user, obj):
        if t.name not in page_forms:
            continue
        form_class = page_forms[t.name]
        form = bound.get(t.name)
        if form is None and form_class is not None:
            form = form_class(initial=initial(t) if initial else {})
        pairs.append((t, form))
    return pairs


def post_transition(
    request,
    workflow: Workflow,
    page_forms: PageForms,
    name: str,
    *,
    fetch: Callable[[], Any],
    perform: Callable[..., Any],
    invalid: Callable[[Any, str, Any, ServiceError | None], HttpResponse],
    refused: Callable[[Any, ServiceError], HttpResponse],
    done: Callable[[Any, Transition], HttpResponse],
    arguments: Callable[[str, dict], dict] | None = None,
    versioned: bool = True,
) -> HttpResponse:
    """Make the posted transition ``name`` through ``perform``.

    ``fetch()`` returns the record (404 out of scope); ``invalid(obj, name,
    form, exc)`` answers a form with errors (its own, or the service's
    refusal ``exc``); ``refused(obj, exc)`` answers a refusal of an action
    without a form (the message is already queued); ``done(obj, transition)``
    answers success (the "已…" message is already queued). ``arguments(name,
    cleaned_data)`` turns the form's data into the service's arguments when
    they differ (it may refuse with a ServiceError, shown on the form);
    ``versioned=False`` for records without optimistic locking (no
    ``expected_version``)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if name not in page_forms:
        raise Http404("没有这个操作")
    obj = fetch()
    form_class = page_forms[name]
    form = form_class(request.POST, request.FILES) if form_class else None
    if form is not None and not form.is_valid():
        return invalid(obj, name, form, None)
    data = dict(form.cleaned_data) if form is not None else {}
    if versioned:
        data["expected_version"] = posted_version(request)
    try:
        if arguments is not None:
            data = arguments(name, data)
        perform(request.user, obj, name, **data)
    except ServiceError as exc:
        if form is None:  # nothing to show the message on
            messages.error(request, exc.message)
            return refused(obj, exc)
        return invalid(obj, name, form, exc)
    t = workflow[name]
    messages.success(request, f"已{t.label}。")
    return done(obj, t)


__all__ = ["PageForms", "post_transition", "posted_version", "transition_forms"]
