"""Hypothesis drives random sequences of transitions and checks invariants:
已销号 ⇒ verifier and closed time set; a 重大 hazard never reaches 待验收
without a complete 治理方案; the rectification's submitter never verified it
(unless closed by 即查即改, which only a 一般 hazard may be); codes unique; the
figures equal a fresh recount."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from zhiben.core.errors import ServiceError
from zhiben.hazards import services
from zhiben.hazards.choices import HazardStatus
from zhiben.hazards.figures import hazard_figures
from zhiben.hazards.models import GovernancePlan, Hazard

from .conftest import photo
from .test_figures import recount

pytestmark = pytest.mark.django_db

ACTORS = ["admin", "leader", "officer", "enterprise", "street", "jgw_officer", "readonly"]
FULL_PLAN = {
    "objectives": "目标",
    "methods": "措施",
    "funding": "经费",
    "organization": "机构",
    "schedule": "时限",
    "safety": "预案",
}


def machine_factory(everyone, orgs, hazard_data):
    class HazardMachine(RuleBasedStateMachine):
        hazards = Bundle("hazards")

        @initialize()
        def start(self):
            # Each example starts from the same database: a savepoint undone in
            # teardown(), so reruns while shrinking see the same state.
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        @rule(
            target=hazards, major=st.booleans(), stock=st.booleans(), very_hard=st.booleans(), n=st.integers(0, 10_000)
        )
        def create(self, major, stock, very_hard, n):
            found = dt.date(2023, 6, 1) if stock else dt.date(2026, 2, 1)
            hazard = services.hazard_create(
                actor=everyone["officer"],
                data=hazard_data(
                    level="major" if major else "general",
                    found_on=found,
                    difficulty="very_hard" if very_hard else "easy",
                    description=f"隐患{n}",
                ),
                allow_duplicate=True,
            )
            return hazard.pk

        def _try(self, fn):
            # Refused transitions are part of the game: the invariants must hold after them too.
            with contextlib.suppress(ServiceError):
                fn()

        @rule(pk=hazards, actor=st.sampled_from(ACTORS))
        def confirm(self, pk, actor):
            self._try(
                lambda: services.hazard_confirm(
                    actor=everyone[actor],
                    hazard=pk,
                    requirement="整改",
                    deadline_kind="date",
                    deadline=dt.date(2026, 12, 31),
                )
            )

        @rule(pk=hazards, actor=st.sampled_from(ACTORS), complete=st.booleans())
        def plan(self, pk, actor, complete):
            parts = dict(FULL_PLAN)
            if not complete:
                parts["funding"] = ""
            self._try(lambda: services.governance_plan_save(actor=everyone[actor], hazard=pk, parts=parts))

        @rule(pk=hazards, actor=st.sampled_from(ACTORS))
        def submit(self, pk, actor):
            self._try(lambda: services.hazard_submit(actor=everyone[actor], hazard=pk, note="已整改", files=[photo()]))

        @rule(pk=hazards, actor=st.sampled_from(ACTORS), passed=st.booleans())
        def verify(self, pk, actor, passed):
            if passed:
                self._try(lambda: services.hazard_verify_pass(actor=everyone[actor], hazard=pk, note="合格"))
            else:
                self._try(lambda: services.hazard_verify_fail(actor=everyone[actor], hazard=pk, reason="不合格"))

        @rule(pk=hazards, actor=st.sampled_from(ACTORS), accept=st.booleans())
        def transfer(self, pk, actor, accept):
            self._try(
                lambda: services.hazard_transfer(actor=everyone[actor], hazard=pk, to_org=orgs["hk-jgw"], reason="移交")
            )
            if accept:
                self._try(lambda: services.hazard_transfer_accept(actor=everyone["jgw_officer"], hazard=pk))
            else:
                self._try(
                    lambda: services.hazard_transfer_return(actor=everyone["jgw_officer"], hazard=pk, reason="退回")
                )

        @rule(pk=hazards, actor=st.sampled_from(ACTORS))
        def fix_on_spot(self, pk, actor):
            self._try(
                lambda: services.hazard_fix_on_spot(actor=everyone[actor], hazard=pk, note="当场整改", files=[photo()])
            )

        @rule(pk=hazards, actor=st.sampled_from(ACTORS))
        def void(self, pk, actor):
            self._try(lambda: services.hazard_void(actor=everyone[actor], hazard=pk, reason="误报"))

        @rule(pk=hazards, actor=st.sampled_from(ACTORS))
        def reopen(self, pk, actor):
            self._try(lambda: services.hazard_reopen(actor=everyone[actor], hazard=pk, reason="返潮"))

        @invariant()
        def closed_hazards_have_verifier_and_time(self):
            assert not Hazard.objects.filter(status=HazardStatus.CLOSED, verified_by__isnull=True).exists()
            assert not Hazard.objects.filter(status=HazardStatus.CLOSED, closed_at__isnull=True).exists()

        @invariant()
        def major_awaiting_has_complete_plan(self):
            for hazard in Hazard.objects.filter(level="major", status=HazardStatus.AWAITING_VERIFICATION):
                plan = GovernancePlan.objects.filter(hazard=hazard).first()
                assert plan is not None and plan.is_complete

        @invariant()
        def verified_by_someone_else_unless_fixed_on_spot(self):
            for hazard in Hazard.objects.filter(status=HazardStatus.CLOSED):
                if hazard.self_verified:
                    assert hazard.level == "general"
                else:
                    assert hazard.verified_by_id != hazard.submitted_by_id
                    assert hazard.verification_note.strip()

        @invariant()
        def major_never_verified_by_the_unit(self):
            for hazard in Hazard.objects.filter(status=HazardStatus.CLOSED, level="major"):
                assert hazard.verified_by_id != everyone["enterprise"].pk

        @invariant()
        def codes_unique(self):
            codes = list(Hazard.objects.values_list("code", flat=True))
            assert len(codes) == len(set(codes))

        @invariant()
        def transferring_iff_pending_owner(self):
            assert not Hazard.objects.filter(status=HazardStatus.TRANSFERRING, pending_owner__isnull=True).exists()
            assert (
                not Hazard.objects.exclude(status=HazardStatus.TRANSFERRING)
                .filter(pending_owner__isnull=False)
                .exists()
            )

        @invariant()
        def figures_equal_a_recount(self):
            for role in ("admin", "officer", "enterprise"):
                figures = hazard_figures(everyone[role])
                expected = recount(everyone[role], figures.as_of)
                for key in (
                    "total",
                    "closed",
                    "voided",
                    "open",
                    "overdue",
                    "major_stock_remaining",
                    "major_increment_found",
                    "major_increment_closed",
                ):
                    assert getattr(figures, key) == expected[key], (role, key)

    return HazardMachine


def test_random_transition_sequences_keep_the_invariants(everyone, orgs, hazard_data):
    run_state_machine_as_test(
        lambda: machine_factory(everyone, orgs, hazard_data)(),
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
