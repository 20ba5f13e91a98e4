"""API endpoints derived from a workflow table (``zhiben.core.workflow``).

An app lists, for the transitions it exposes, the request body and the
summary (:class:`TransitionEndpoint`); :func:`transition_endpoints` registers
one ``POST {prefix}/{name}`` endpoint per row on the app's router (the path
spells the name with hyphens: ``verify_pass`` → ``verify-pass``). Every one of
them

1. turns the body into service arguments (``prepare``, before the record is
   fetched: e.g. an organization id into the organization, 422 if unknown);
2. fetches the record within the caller's scope (``fetch``: 404 out of scope),
   then ``resolve`` may look up what needs the record or must come after it;
3. makes the transition through the app's one dispatcher
   (``perform(actor, obj, name, **data)``), whose refusals become the API's
   error shape (``ServiceError``);
4. answers with ``respond(obj, user)`` (an endpoint may declare its own
   ``response`` and ``respond``, e.g. 204 when the record left the caller's scope);

and honours ``Idempotency-Key`` (``@idempotent``). The endpoint function is
named after the transition and placed in the app's module, so OpenAPI
operation ids read as if written by hand (``zhiben_hazards_api_verify_pass``).

No ``from __future__ import annotations`` here: django-ninja reads the
generated signatures, whose annotations must be the schema classes themselves.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ninja import Router, Schema

from zhiben.core.workflow import Workflow

from .idempotency import idempotent


@dataclass(frozen=True)
class TransitionEndpoint:
    """One transition offered by the API."""

    name: str
    payload: type[Schema]
    summary: str
    prepare: Callable[[Any, dict], dict] | None = None  # (request, body) -> arguments, before the fetch
    resolve: Callable[[Any, dict, Any], dict] | None = None  # (request, arguments, record) -> arguments, after it
    response: Any = None  # this endpoint's response declaration, when not the shared one
    respond: Callable[[Any, Any], Any] | None = None  # this endpoint's answer, when not the shared one

    @property
    def path(self) -> str:
        return self.name.replace("_", "-")


def transition_endpoints(
    router: Router,
    workflow: Workflow,
    endpoints: list[TransitionEndpoint],
    *,
    prefix: str,
    pk_type: Any,
    fetch: Callable[[Any, Any], Any],
    perform: Callable[..., Any],
    respond: Callable[[Any, Any], Any],
    response: Any,
    module: str,
) -> dict[str, Callable]:
    """Register one POST endpoint per entry of ``endpoints`` (each must name a
    transition of ``workflow``) at ``{prefix}/{path}``; ``prefix`` holds the
    ``{pk}`` path parameter. Returns the views by transition name."""
    views = {}
    for endpoint in endpoints:
        workflow.get(endpoint.name)  # a row of the table, or KeyError at import time
        views[endpoint.name] = _register(router, endpoint, prefix, pk_type, fetch, perform, respond, response, module)
    return views


def _register(router, endpoint, prefix, pk_type, fetch, perform, respond, response, module):
    name = endpoint.name

    def view(request, pk: pk_type, payload: endpoint.payload):
        data = payload.model_dump()
        if endpoint.prepare is not None:
            data = endpoint.prepare(request, data)
        obj = fetch(request, pk)
        if endpoint.resolve is not None:
            data = endpoint.resolve(request, data, obj)
        perform(request.auth, obj, name, **data)
        return (endpoint.respond or respond)(obj, request.auth)

    view.__name__ = view.__qualname__ = name
    view.__module__ = module
    view.__doc__ = None  # the summary says it all (no operation description)
    wrapped = idempotent(view)
    declared = endpoint.response if endpoint.response is not None else response
    router.post(f"{prefix}/{endpoint.path}", response=declared, summary=endpoint.summary)(wrapped)
    return wrapped


__all__ = ["TransitionEndpoint", "transition_endpoints"]
