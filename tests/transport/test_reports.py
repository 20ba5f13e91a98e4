"""The monthly 高风险 list (each rule, month boundaries, scope, page, export, API) and the
riders' 红黑榜 (ranking, red list rules, page, export)."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.transport import selectors, services

MONTH = dt.date(2026, 3, 1)
TODAY = dt.date(2026, 5, 20)  # after the month: the list is as of 2026-03-31


@pytest.fixture
def bus(fleet, make_vehicle):
    return make_vehicle(fleet["coach"], plate="沪B12345")


@pytest.fixture
def wang(fleet, make_driver):
    return make_driver(fleet["coach"], name="王建国")


def _violation(users, day, kind="speeding", **data):
    # Straight to the model's service with a date in the past month (the service checks "not in the
    # future" against the real today, which is later than these dates).
    return services.violation_create(
        actor=users["admin"], data={"occurred_on": day, "kind": kind, "source": "police", **data}
    )


def _codes(rows, obj) -> list[str]:
    found = [r for r in rows if r.obj.pk == obj.pk and r.obj.__class__ is obj.__class__]
    return found[0].codes if found else []


def _rows(user, month=MONTH, today=TODAY):
    return selectors.high_risk(user, month, today)


def test_three_violations_in_the_month_and_the_boundaries(users, bus, wang):
    for day in (dt.date(2026, 3, 1), dt.date(2026, 3, 15)):
        _violation(users, day, vehicle=bus, driver=wang)
    _violation(users, dt.date(2026, 2, 28), vehicle=bus, driver=wang)  # the month before
    _violation(users, dt.date(2026, 4, 1), vehicle=bus, driver=wang)  # the month after
    assert _codes(_rows(users["admin"]), bus) == [] and _codes(_rows(users["admin"]), wang) == []
    _violation(users, dt.date(2026, 3, 31), vehicle=bus, driver=wang)
    rows = _rows(users["admin"])
    assert _codes(rows, bus) == ["V1"] and _codes(rows, wang) == ["D1"]
    assert [r.violations for r in rows] == [3, 3]
    assert rows[0].reasons == ["本月违法 ≥ 3 次"]


@pytest.mark.parametrize("kind", ["drunk", "speeding_50"])
def test_one_serious_violation_is_enough(users, bus, wang, kind):
    _violation(users, dt.date(2026, 3, 10), kind=kind, vehicle=bus)
    rows = _rows(users["admin"])
    assert _codes(rows, bus) == ["V2"] and _codes(rows, wang) == []
    assert _codes(_rows(users["admin"], month=dt.date(2026, 4, 1)), bus) == []


def test_expired_inspection_and_insurance_as_of_the_month_end(users, fleet, make_vehicle):
    due_in_month = make_vehicle(fleet["coach"], plate="沪B00001", inspection_due=dt.date(2026, 3, 30))
    due_at_end = make_vehicle(fleet["coach"], plate="沪B00002", insurance_due=dt.date(2026, 3, 31))
    due_after = make_vehicle(fleet["coach"], plate="沪B00003", inspection_due=dt.date(2026, 4, 2))
    both = make_vehicle(
        fleet["coach"], plate="沪B00004", inspection_due=dt.date(2026, 1, 1), insurance_due=dt.date(2026, 2, 1)
    )
    stopped = make_vehicle(fleet["coach"], plate="沪B00005", inspection_due=dt.date(2026, 1, 1), status="suspended")
    rows = _rows(users["admin"])
    assert _codes(rows, due_in_month) == ["V3"]
    assert _codes(rows, due_at_end) == [] and _codes(rows, due_after) == [] and _codes(rows, stopped) == []
    assert _codes(rows, both) == ["V3", "V4"]
    # In the current month the list is as of today.
    current = selectors.high_risk(users["admin"], dt.date(2026, 3, 1), dt.date(2026, 3, 15))
    assert _codes(current, due_in_month) == [] and _codes(current, both) == ["V3", "V4"]


def test_driver_points_and_licence(users, fleet, make_driver):
    nine = make_driver(fleet["coach"], name="九分", points=9)
    eight = make_driver(fleet["coach"], name="八分", points=8)
    expired = make_driver(fleet["coach"], name="过期", licence_expiry=dt.date(2026, 3, 5))
    left = make_driver(fleet["coach"], name="离职", points=12, status="left")
    rows = _rows(users["admin"])
    assert _codes(rows, nine) == ["D3"] and _codes(rows, expired) == ["D4"]
    assert _codes(rows, eight) == [] and _codes(rows, left) == []
    assert rows[-1].reasons  # every row says why


def test_the_list_is_scoped(users, fleet, make_vehicle, make_driver):
    make_vehicle(fleet["coach"], plate="沪B00001", inspection_due=dt.date(2026, 1, 1))
    make_vehicle(fleet["muck"], plate="沪D00001", inspection_due=dt.date(2026, 1, 1), vehicle_type="muck_truck")
    assert [r.label for r in _rows(fleet["coach_user"])] == ["沪B00001"]
    assert {r.label for r in _rows(fleet["police"])} == {"沪B00001", "沪D00001"}
    assert _rows(users["officer"]) == []


def test_page_export_and_api(users, fleet, make_vehicle, login, today):
    make_vehicle(fleet["coach"], plate="沪B00001", inspection_due=today - dt.timedelta(days=1))
    client = login(fleet["coach_user"])
    page = client.get("/transport/high-risk/", {"month": f"{today:%Y-%m}"})
    assert page.status_code == 200 and "沪B00001" in page.content.decode() and "年检逾期" in page.content.decode()
    assert client.get("/transport/high-risk/", {"month": "9999-99"}).status_code == 200
    export = client.get("/transport/high-risk/", {"month": f"{today:%Y-%m}", "format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[2]][:2] == ["车辆", "沪B00001"] and "年检逾期" in sheet[2][5].value
    assert AuditEvent.objects.filter(action="transport.report_export").get().after["report"] == "high_risk"
    api = client.get("/api/v1/transport/high-risk", {"month": f"{today:%Y-%m}"}).json()
    assert api["items"][0]["rules"] == ["V3"] and api["items"][0]["label"] == "沪B00001"
    assert client.get("/api/v1/transport/high-risk", {"month": "2026-3"}).status_code == 422


# --- 红黑榜 -------------------------------------------------------------------------------------


def _riders(users, rows):
    services.rider_violations_add(
        actor=users["admin"],
        rows=[
            {"platform": p, "station": s, "rider_name": r, "occurred_on": d, "offence": "闯红灯"} for p, s, r, d in rows
        ],
    )


def test_ranking_black_red_and_platforms(users, today):
    month = today.replace(day=1)
    before = (month - dt.timedelta(days=1)).replace(day=1)
    _riders(
        users,
        [
            ("美团", "北外滩站", "张三", month),
            ("美团", "北外滩站", "张三", month),
            ("美团", "北外滩站", "李四", month),
            ("饿了么", "四川北路站", "王五", month),
            ("美团", "嘉兴路站", "钱七", before),  # seen last month, none this month: 红榜
            ("顺丰", "江湾镇站", "赵六", month - dt.timedelta(days=400)),  # not seen within 12 months
        ],
    )
    ranking = selectors.rider_ranking(users["admin"], month)
    assert ranking.total == 4
    assert [(s.station, s.violations, s.riders) for s in ranking.black] == [("北外滩站", 3, 2), ("四川北路站", 1, 1)]
    assert [(s.platform, s.station) for s in ranking.red] == [("美团", "嘉兴路站")] and ranking.red_rule == "zero"
    assert [(p.platform, p.violations, p.stations) for p in ranking.platforms] == [("美团", 3, 1), ("饿了么", 1, 1)]
    last = selectors.rider_ranking(users["admin"], before)
    assert [s.station for s in last.black] == ["嘉兴路站"]


def test_red_list_falls_back_to_the_fewest_beyond_the_black_list(users, today):
    month = today.replace(day=1)
    rows = []
    for i in range(selectors.BLACK_SIZE + 2):
        rows += [("美团", f"站{i:02d}", "骑手", month)] * (i + 1)
    _riders(users, rows)
    ranking = selectors.rider_ranking(users["admin"], month)
    assert len(ranking.black) == selectors.BLACK_SIZE and ranking.black[0].station == "站11"
    assert ranking.red_rule == "fewest" and [s.station for s in ranking.red] == ["站00"]


def test_ranking_page_export_and_rights(users, fleet, login, today):
    _riders(users, [("美团", "北外滩站", "张三", today)])
    client = login(users["street"])
    page = client.get("/transport/riders/", {"station": "北外滩站"})
    assert page.status_code == 200 and "张三" in page.content.decode()
    export = client.get("/transport/riders/", {"format": "xlsx"})
    from openpyxl import load_workbook

    values = [[c.value for c in row] for row in load_workbook(io.BytesIO(export.content)).active.iter_rows()]
    assert ["黑榜", 1, "美团", "北外滩站", 1, 1] in values
    assert login(fleet["coach_user"]).get("/api/v1/transport/rider-ranking").status_code == 403
    assert login(users["readonly"]).get("/api/v1/transport/rider-ranking").json()["total"] == 1
