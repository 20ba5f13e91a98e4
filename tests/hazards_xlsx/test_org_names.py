"""org/tabular: how hazards (and registry) write and read 部门/科室/街道 names."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhiben.org.tabular import OrgLookup, org_label, org_labels, owner_column, owner_options, street_names


def test_labels_and_options(orgs):
    by_path = {o.path: o for o in orgs.values()}
    assert org_label(orgs["hk-swj-bgs"], by_path) == "区商务委/办公室"  # a 科室 under its department
    assert org_label(orgs["hk-swj"], by_path) == "区商务委"
    labels = org_labels()
    assert labels[orgs["hk-swj-bgs"].pk] == "区商务委/办公室" and labels[orgs["hk-bwt"].pk] == "北外滩街道"
    options = owner_options()
    assert "区商务委/办公室" in options and "北外滩街道" in options
    assert "北外滩街道" in street_names() and "区商务委" not in street_names()
    column = owner_column()
    assert (column.header, column.key, column.width, column.strict) == ("行业主管部门", "owner", 18, False)


def test_lookup_by_name_or_path_is_memoised(orgs):
    lookup = OrgLookup()
    assert lookup("区商务委") == orgs["hk-swj"]
    assert lookup(" 区商务委 ／ 办公室 ") == orgs["hk-swj-bgs"]  # "部门/科室", spaces and a full-width slash
    assert lookup("办公室") is None  # ambiguous on its own
    assert lookup("不存在的部门") is None
    with CaptureQueriesContext(connection) as queries:
        assert lookup("区商务委/办公室") == orgs["hk-swj-bgs"]
        assert lookup.get(orgs["hk-swj"].pk) == orgs["hk-swj"]
    assert len(queries) == 0
    assert lookup.get(None) is None
