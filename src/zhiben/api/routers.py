"""Mounts every app's router on the one API (imported by the URLconf)."""

from zhiben.audit.api import router as audit_router
from zhiben.civildefence.api import router as civildefence_router
from zhiben.construction.api import router as construction_router
from zhiben.hazards.api import router as hazard_router
from zhiben.imports.api import router as imports_router
from zhiben.inspections.api import router as inspection_router
from zhiben.org.api import router as org_router
from zhiben.plans.api import router as plan_router
from zhiben.registry.api import router as registry_router
from zhiben.tips.api import router as tip_router
from zhiben.traffic.api import router as traffic_router
from zhiben.transport.api import router as transport_router

from .base import api

api.add_router("", org_router)
api.add_router("", audit_router)
api.add_router("", hazard_router)
api.add_router("", plan_router)
api.add_router("", registry_router)
api.add_router("", inspection_router)
api.add_router("", tip_router)
api.add_router("", imports_router)
api.add_router("", transport_router)
api.add_router("", traffic_router)
api.add_router("", construction_router)
api.add_router("", civildefence_router)
