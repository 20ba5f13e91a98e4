"""The keyword filter (``q``) through the text index: same answers as the plain
``icontains`` condition, the index kept in step with the table, and the pages of
the list API unchanged by the ids-first pagination."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import OperationalError, connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiben.hazards import search
from zhiben.hazards.filters import HazardFilterSet
from zhiben.hazards.models import Hazard

TEXTS = [
    # title, description, unit_name, address
    ("疏散通道堵塞", "二层东侧疏散通道堆放纸箱", "瑞虹物流股份有限公司", "四川北路1号"),
    ("配电箱未上锁", "地下室配电箱 Open 状态，无警示标识", "海纳科技有限公司", "广中路88弄"),
    ("燃气管道锈蚀", "厨房燃气管道锈蚀严重", "金叶餐饮管理有限公司（欧阳路1号店）", "欧阳路1号"),
    ("电动自行车违规充电", '楼道内飞线充电 "私拉电线"', "虹口区某小区物业", "天宝路300号"),
    ("有限空间作业未审批", "污水井作业未审批、未检测", "上海市政工程有限公司", "四川北路1885号"),
]


def condition(term: str) -> Q:
    return (
        Q(code__icontains=term)
        | Q(title__icontains=term)
        | Q(description__icontains=term)
        | Q(unit_name__icontains=term)
        | Q(address__icontains=term)
        | Q(unit_uscc=term.upper())
    )


def plain(term: str) -> set[int]:
    return set(Hazard.objects.filter(condition(term)).values_list("pk", flat=True))


def candidates(term: str, limit: int | None = None) -> list[int] | None:
    return search.candidate_ids(term, limit=limit)


def filtered(term: str, user=None) -> set[int]:
    return set(HazardFilterSet({"q": term}, queryset=Hazard.objects.all(), user=user).qs.values_list("pk", flat=True))


@pytest.fixture
def ledger(make_hazard):
    hazards = []
    for title, description, unit_name, address in TEXTS:
        hazards.append(
            make_hazard(title=title, description=description, unit=None, unit_name=unit_name, address=address)
        )
    return hazards


sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="the SQLite FTS5 candidates")


def test_text_index_is_installed_by_the_migrations(db):
    assert search.text_index_ready()


def uses_text_index(term: str) -> bool:
    """Whether the database answers the keyword condition from the text index."""
    if connection.vendor == "sqlite":
        return candidates(term) is not None
    # PostgreSQL: with scans priced out even this tiny table is read through
    # bitmap index scans, if the indexes match the expressions of icontains.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plan = Hazard.objects.filter(condition(term)).explain()
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    return all(f"hazard_trgm_{column}" in plan for column in search.COLUMNS)


@pytest.mark.parametrize(
    "term",
    [
        "疏散通道",
        "配电箱",
        "四川北路",
        "欧阳路1号店",
        "open",
        "OPEN",
        "锈蚀严重",
        '"私拉电线"',
        "物流股份",
        "不存在的词语",
    ],
)
def test_keyword_search_uses_the_index_and_matches_the_plain_condition(ledger, term):
    assert uses_text_index(term)  # not a scan of the whole ledger
    assert filtered(term) == plain(term)


def test_short_terms_and_codes_and_uscc(ledger):
    assert candidates("燃气") is None  # 2 characters: no trigram, plain condition
    assert filtered("燃气") == plain("燃气") == {ledger[2].pk}
    code = ledger[3].code  # e.g. YH-2026-000004
    assert filtered(code) == {ledger[3].pk}
    assert filtered(code[:-3].lower()) == plain(code[:-3]) == {h.pk for h in ledger}


def test_uscc_matches_exactly(make_hazard, units):
    hazard = make_hazard(unit=units["commerce"])
    uscc = hazard.unit_uscc
    assert uscc
    assert filtered(uscc.lower()) == {hazard.pk}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_substring_finds_what_the_plain_condition_finds(ledger, data):
    texts = [t for row in TEXTS for t in row] + [h.code for h in ledger]
    source = data.draw(st.sampled_from(texts))
    start = data.draw(st.integers(0, len(source) - 1))
    end = data.draw(st.integers(start + 1, len(source)))
    term = source[start:end] + data.draw(st.sampled_from(["", "", "x", "路", "%", "_"]))
    if not term.strip():
        return
    term = term.strip()
    assert filtered(term) == plain(term)


def test_the_index_follows_updates_and_deletes(ledger):
    sqlite = connection.vendor == "sqlite"
    hazard = ledger[0]
    Hazard.objects.filter(pk=hazard.pk).update(title="消防栓被遮挡", description="消防栓前停放车辆")
    assert filtered("消防栓被") == {hazard.pk}
    assert filtered("疏散通道") == set()
    assert not sqlite or candidates("疏散通道") == []  # the old text left the FTS table
    ledger[1].delete()
    assert filtered("配电箱") == set()
    assert not sqlite or candidates("配电箱") == []


@sqlite_only
def test_lost_triggers_fall_back_to_a_scan_and_are_restored_with_a_rebuild(ledger, make_hazard):
    """Django rebuilds an SQLite table to alter it, which drops its triggers."""
    with connection.cursor() as cursor:
        for trigger in search.TRIGGERS:
            cursor.execute(f"DROP TRIGGER {trigger}")
    added = make_hazard(title="防火门常开", description="防火门被木楔卡住")
    assert not search.text_index_ready()
    assert candidates("防火门常开") is None
    assert filtered("防火门常开") == {added.pk}  # still right, by a scan
    assert search.ensure_text_index()
    assert search.text_index_ready()
    assert candidates("防火门常开") == [added.pk]  # rebuilt from the table


@sqlite_only
def test_common_terms_skip_the_index(ledger, monkeypatch):
    assert len(plain("有限公司")) == 4
    monkeypatch.setattr(search, "CANDIDATE_LIMIT", 3)
    assert candidates("有限公司") is None
    assert candidates("四川北路") is not None
    assert filtered("有限公司") == plain("有限公司")


def test_scoped_search_keeps_the_scope(ledger, make_hazard, orgs, users):
    other = make_hazard(title="疏散通道堵塞", owner=orgs["hk-jgw"])
    visible = set(
        HazardFilterSet({"q": "疏散通道"}, queryset=Hazard.objects.restrict(users["officer"], "view")).qs.values_list(
            "pk", flat=True
        )
    )
    assert ledger[0].pk in visible and other.pk not in visible


# --- List API pages (ids first, then rows) ----------------------------------------------


@pytest.fixture
def dated(make_hazard):
    days = [dt.date(2023, 12, 30), dt.date(2024, 1, 5), dt.date(2024, 6, 1), dt.date(2025, 2, 1), dt.date(2026, 1, 1)]
    return [make_hazard(found_on=day, description=f"按日期{i}") for i, day in enumerate(days * 3)]


def walk(client, query: str, limit: int) -> list[int]:
    ids, cursor = [], None
    while True:
        after = f"&cursor={cursor}" if cursor else ""
        page = client.get(f"/api/v1/hazards?{query}&limit={limit}{after}").json()
        ids += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            return ids
        cursor = page["next_cursor"]


def test_found_range_pages_are_newest_first_and_complete(dated, users, login):
    client = login(users["admin"])
    expected = sorted((h.pk for h in dated if dt.date(2024, 1, 1) <= h.found_on <= dt.date(2025, 12, 31)), reverse=True)
    assert len(expected) == 9
    for limit in (1, 2, 4, 50):
        assert walk(client, "found_from=2024-01-01&found_to=2025-12-31", limit) == expected
    assert walk(client, "q=按日期", 4) == sorted((h.pk for h in dated), reverse=True)


def test_found_range_and_search_query_count_does_not_grow_with_page_size(dated, users, login):
    client = login(users["admin"])

    def queries(query: str, limit: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get(f"/api/v1/hazards?{query}&limit={limit}").json()["items"]) == limit
        return len(ctx.captured_queries)

    assert queries("found_from=2024-01-01", 2) == queries("found_from=2024-01-01", 9)
    assert queries("q=按日期", 2) == queries("q=按日期", 12)


def test_an_empty_page(users, login, db):
    page = login(users["admin"]).get("/api/v1/hazards?found_from=2030-01-01").json()
    assert page == {"items": [], "next_cursor": None}


@sqlite_only
@pytest.mark.parametrize(
    "query, index",
    [
        ({"found_from": "2025-01-01", "found_to": "2025-01-31"}, "hazard_found_page"),
        ({"overdue": "true"}, "hazard_overdue_cover"),
    ],
)
def test_officer_pages_are_not_driven_by_the_scope_on_sqlite(users, dated, query, index):
    """Without statistics SQLite would fetch a department's whole share through
    the owner index and sort it (bench/RESULTS.md): the filter's index leads."""
    from django.db.models import F
    from django.http import QueryDict

    params = QueryDict(mutable=True)
    params.update(query)
    user = users["officer"]
    qs = HazardFilterSet(params, queryset=Hazard.objects.restrict(user, "view", paging=True), user=user).qs
    ids = qs.order_by((F("pk") + 0).desc()).values_list("pk", flat=True)[:51]
    sql, sql_params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, sql_params)
        plan = " | ".join(row[3] for row in cursor.fetchall())
    assert index in plan and "MULTI-INDEX OR" not in plan, plan


def test_the_paging_scope_holds_the_same_rows(everyone, drive, orgs):
    drive("pending", owner=orgs["hk-jgw"], street=orgs["hk-jwz"])
    drive("transferring")  # pending_owner: 建管委
    drive("closed", owner=orgs["hk-swj"])
    for user in everyone.values():
        plain = set(Hazard.objects.restrict(user, "view").values_list("pk", flat=True))
        paging = set(Hazard.objects.restrict(user, "view", paging=True).values_list("pk", flat=True))
        assert plain == paging, user.username


def test_supervision_and_date_range_pages(dated, users, login):
    """The 督办 filter adds DISTINCT; with the pk + 0 order PostgreSQL needs that expression selected too."""
    from zhiben.hazards import services

    future = dt.date(2030, 1, 1)
    supervised = [h for h in dated if h.found_on.year in (2024, 2025)][:4]
    for hazard in supervised:
        services.hazard_confirm(
            actor=users["admin"], hazard=hazard, requirement="清理", deadline_kind="date", deadline=future
        )
        services.supervision_open(actor=users["admin"], hazard=hazard, kind="supervised", deadline=future)
    client = login(users["admin"])
    query = "supervision=any&found_from=2024-01-01&found_to=2025-12-31"
    assert walk(client, query, 3) == sorted((h.pk for h in supervised), reverse=True)


# --- Bounds: a keyword's cost must not grow with what is typed ------------------------------

LONG_TEXT = (
    "二层东侧疏散通道堆放纸箱，安全出口被锁闭，应急照明灯损坏三处，"
    "消防控制室值班人员未持证上岗，自动喷水灭火系统末端试水装置压力为零，"
    "厨房燃气管道锈蚀严重且未安装燃气泄漏报警装置，配电箱 Open 状态无警示标识。"
)


@pytest.fixture
def long_ledger(ledger, make_hazard):
    return [*ledger, make_hazard(title="多项消防隐患", description=LONG_TEXT, unit=None, unit_name="瑞虹新城商场")]


def fts_queries(captured) -> list[list]:
    return [q for q in captured if search.FTS_TABLE in q["sql"] and "MATCH" in q["sql"]]


def test_a_long_keyword_is_refused_with_a_chinese_message_on_the_page(long_ledger, users, login):
    client = login(users["enterprise"])
    term = "隐" * (search.MAX_TERM_LENGTH + 1)
    response = client.get("/hazards/", {"q": term})
    assert response.status_code == 200
    text = response.content.decode()
    assert f"关键词最多 {search.MAX_TERM_LENGTH} 个字符" in text
    assert 'data-testid="filter-errors"' in text
    assert f'maxlength="{search.MAX_TERM_LENGTH}"' in text  # the browser stops the typing there already


@pytest.mark.parametrize("length", [search.MAX_TERM_LENGTH + 1, 800, 5000])
@pytest.mark.parametrize("role", ["admin", "officer", "enterprise"])
def test_a_long_keyword_is_refused_by_the_api(long_ledger, users, login, role, length):
    client = login(users[role])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/hazards", {"q": "疏散通道" * (length // 4 + 1)})
    assert response.status_code == 422
    body = response.json()
    assert body["message"]
    assert "q" in str(body["details"])
    assert fts_queries(ctx.captured_queries) == []  # refused before any search


def test_a_keyword_at_the_limit_still_searches(long_ledger, users, login):
    term = LONG_TEXT[: search.MAX_TERM_LENGTH]
    assert len(term) == search.MAX_TERM_LENGTH
    items = login(users["admin"]).get("/api/v1/hazards", {"q": term}).json()["items"]
    assert [item["id"] for item in items] == [long_ledger[-1].pk]


@sqlite_only
def test_fts5_is_asked_for_a_bounded_number_of_trigrams(long_ledger):
    term = LONG_TEXT[: search.MAX_TERM_LENGTH]
    with CaptureQueriesContext(connection) as ctx:
        assert filtered(term) == plain(term) == {long_ledger[-1].pk}
    (query,) = fts_queries(ctx.captured_queries)
    match = query["sql"].split("MATCH", 1)[1]  # the logged SQL has the parameter inlined
    phrases = [part for part in match.split('"') if len(part) == search.MIN_TERM_LENGTH]
    assert 1 <= len(phrases) <= search.MAX_INDEX_TERMS, match
    expression = search.fts_query(term)
    assert expression.count(" AND ") == search.MAX_INDEX_TERMS - 1
    assert len(expression) < 100


def test_trigrams_drop_repeats_and_the_query_stays_short():
    assert search.trigrams("abcabcabc") == ["abc", "bca", "cab"]
    assert search.trigrams("ABCabc") == ["ABC", "BCa", "Cab"]  # "abc" is "ABC" to FTS5
    assert search.fts_query("疏散通道") == '"疏散通道"'
    assert search.fts_query("a" * 5000) == '"aaa"'
    assert search.fts_query("ab" * 2500) == '"aba" AND "bab"'
    long = "".join(chr(0x4E00 + i) for i in range(5000))
    assert search.fts_query(long).count('"') == 2 * search.MAX_INDEX_TERMS
    assert search.fts_query('x"y' * 10).count(" AND ") <= search.MAX_INDEX_TERMS - 1


@sqlite_only
def test_the_time_budget_interrupts_a_runaway_query(db):
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM (SELECT i FROM n LIMIT 1000000000)"
    started = time.monotonic()
    with pytest.raises(OperationalError), search.time_budget(connection, 0.05), connection.cursor() as cursor:
        cursor.execute(slow)
    assert time.monotonic() - started < 1
    with connection.cursor() as cursor:  # the connection is usable and the handler gone
        cursor.execute("SELECT count(*) FROM (SELECT 1 UNION ALL SELECT 2)")
        assert cursor.fetchone() == (2,)
    assert search.candidate_ids("不存在的词语") == []


@sqlite_only
def test_a_search_over_budget_falls_back_to_the_plain_condition(long_ledger, users, login, monkeypatch):
    term = "疏散通道"
    assert search.candidate_ids(term) is not None
    monkeypatch.setattr(search, "TIME_BUDGET_SECONDS", 0)
    monkeypatch.setattr(search, "PROGRESS_STEPS", 1)
    assert search.candidate_ids(term) is None  # interrupted: no candidates
    assert filtered(term) == plain(term) != set()
    response = login(users["enterprise"]).get("/api/v1/hazards", {"q": term})
    assert response.status_code == 200
    page = login(users["admin"]).get("/hazards/", {"q": term})
    assert page.status_code == 200
    assert long_ledger[0].code in page.content.decode()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_long_substrings_find_what_the_plain_condition_finds(long_ledger, data):
    """Keywords long enough to be cut down to a few trigrams still find exactly the plain matches."""
    source = data.draw(st.sampled_from([LONG_TEXT, LONG_TEXT.upper(), long_ledger[-1].unit_name + LONG_TEXT]))
    length = data.draw(st.integers(search.MAX_INDEX_TERMS + 3, search.MAX_TERM_LENGTH))
    start = data.draw(st.integers(0, max(0, len(source) - length)))
    term = source[start : start + length]
    if data.draw(st.booleans()):  # one character changed: usually nothing matches
        at = data.draw(st.integers(0, len(term) - 1))
        term = term[:at] + data.draw(st.sampled_from(["x", "路", "%", "_", '"', "门"])) + term[at + 1 :]
    term = term.strip()
    assert filtered(term) == plain(term)
    if connection.vendor == "sqlite" and len(term) >= search.MIN_TERM_LENGTH:
        assert candidates(term) is not None  # the text index still narrows it
