"""深基坑监测: points on 基坑 works only; readings with their daily rate; a reading beyond a
threshold is an alarm on the reading, notified (on commit) to the project's people and the
主管部门; the point page shows the series and the threshold."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.construction import services
from zhiben.construction.models import PitMonitoringPoint, PitReading
from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.notify.models import Notification

from .conftest import past


@pytest.fixture
def point(make_work, people):
    work = make_work(name="1#楼深基坑")
    return services.point_create(
        actor=people["builder"],
        data={
            "work": work,
            "code": "ZQS-01",
            "item": "wall_top_h",
            "unit": "mm",
            "alarm_cumulative": Decimal("30"),
            "alarm_rate": Decimal("3"),
        },
    )


def _read(actor, point, day, value):
    return services.reading_record(actor=actor, point=point, data={"measured_on": day, "value": value})


def test_points_only_on_pit_works(make_work, people):
    formwork = make_work(name="高支模", work_type="formwork")
    with pytest.raises(ValidationFailed) as exc:
        services.point_create(
            actor=people["jgw"],
            data={"work": formwork, "code": "P1", "item": "wall_top_h", "unit": "mm", "alarm_cumulative": "30"},
        )
    assert "基坑工程" in exc.value.details["work"]
    assert not PitMonitoringPoint.objects.exists()


def test_readings_below_the_thresholds_raise_no_alarm(point, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _read(people["builder"], point, past(3), "10.5")
        second = _read(people["builder"], point, past(1), "14.5")
    assert first.rate is None and not first.alarm
    assert second.rate == Decimal("2.00") and not second.alarm  # 4 mm in 2 days
    assert not Notification.objects.filter(kind="pit_alarm").exists()
    assert AuditEvent.objects.filter(action="pit_reading.record").count() == 2


def test_a_reading_beyond_the_cumulative_threshold_alarms_and_notifies(
    point, people, project, django_capture_on_commit_callbacks
):
    services.project_update(
        actor=people["jgw"], site=project, data={"supervisor": "建科监理"}, responsible=[people["jwz"]]
    )
    _read(people["builder"], point, past(2), "28")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reading = _read(people["builder"], point, past(1), "-30.5")
    assert not Notification.objects.filter(kind="pit_alarm").exists()  # not before the commit
    for callback in callbacks:
        callback()
    reading = PitReading.objects.get(pk=reading.pk)
    assert reading.alarm
    assert "累计值 -30.50mm 达到报警值 30.00mm" in reading.alarm_reason
    assert "变化速率 -58.50mm/天 达到报警值 3.00mm/天" in reading.alarm_reason
    told = set(Notification.objects.filter(kind="pit_alarm").values_list("recipient__username", flat=True))
    # the 预警接收人 (江湾镇), the builder's 企业用户, the 主管部门 (区建管委) — nobody else
    assert told == {"t_jwz", "t_builder", "t_jgw"}
    message = Notification.objects.filter(kind="pit_alarm").first()
    assert "ZQS-01" in message.title and message.url.endswith(f"/construction/points/{point.pk}/")


def test_a_fast_rate_alone_alarms(point, people, django_capture_on_commit_callbacks):
    _read(people["builder"], point, past(2), "5")
    with django_capture_on_commit_callbacks(execute=True):
        reading = _read(people["builder"], point, past(1), "9")
    assert reading.alarm and reading.alarm_reason == "变化速率 4.00mm/天 达到报警值 3.00mm/天"
    told = set(Notification.objects.filter(kind="pit_alarm").values_list("recipient__username", flat=True))
    assert told == {"t_builder", "t_jgw"}  # no 预警接收人 named: the builder and the 主管部门


def test_bad_readings_are_refused_and_nothing_is_written(point, people):
    _read(people["builder"], point, past(2), "5")
    for day, value, field in (
        (past(2), "6", "measured_on"),
        (past(5), "6", "measured_on"),
        (past(1), "abc", "value"),
        (past(1), "1e12", "value"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            _read(people["builder"], point, day, value)
        assert field in exc.value.details
    assert PitReading.objects.count() == 1
    with pytest.raises(PermissionDeniedError):
        _read(people["officer"], point, past(1), "6")
    with pytest.raises(PermissionDeniedError):
        _read(people["jgw_expert"], point, past(1), "6")
    assert PitReading.objects.count() == 1


def test_the_point_page_shows_the_series_with_its_threshold(point, people, login):
    _read(people["builder"], point, past(2), "12")
    _read(people["builder"], point, past(1), "31")
    page = login(people["jgw"]).get(f"/construction/points/{point.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="pit-series"' in html and '"threshold": 30.0' in html and '"values": [12.0, 31.0]' in html
    assert "vendor/echarts/echarts.min.js" in html and "construction/pit-chart.js" in html
    assert "累计值 31.00mm 达到报警值 30.00mm" in html  # the table shows the alarm too
    posted = login(people["builder"]).post(
        f"/construction/points/{point.pk}/readings/", {"measured_on": past(0), "value": "x"}
    )
    assert posted.status_code == 422 and PitReading.objects.count() == 2
    posted = login(people["builder"]).post(
        f"/construction/points/{point.pk}/readings/", {"measured_on": past(0), "value": "32"}
    )
    assert posted.status_code == 302 and PitReading.objects.count() == 3
    assert (
        login(people["jgw_expert"])
        .post(f"/construction/points/{point.pk}/readings/", {"measured_on": past(0), "value": "1"})
        .status_code
        == 403
    )
