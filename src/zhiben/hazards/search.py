"""Free-text search over the hazard ledger, backed by a text index.

The list's keyword filter (``q``) means "code, title, description, unit name or
address contains the term" (``icontains``), or "the USCC equals it". Without an
index that is a scan of the whole table whenever the term is rare: 0.8–1.7 s
at 1,000,000 hazards (bench/RESULTS.md).

- SQLite: an FTS5 table with the trigram tokenizer (``hazards_hazard_fts``),
  external content over ``hazards_hazard``, kept in step by three triggers.
  The filter first asks it for the ids of at most ``CANDIDATE_LIMIT``
  candidate rows, then applies the same ``icontains`` condition to those rows
  only, so the results are exactly those of the plain condition. Terms
  matching more rows are common: the newest-first scan finds a page quickly.
- PostgreSQL: ``pg_trgm`` GIN indexes on ``UPPER(column)``, the expression
  Django's ``icontains`` compiles to, so the planner uses them for the plain
  condition whenever the term is rare.

Terms shorter than three characters cannot use a trigram index on either.

Bounds (a keyword is typed by anyone who can log in, so its cost must not
grow with what they type):

- ``MAX_TERM_LENGTH`` characters at most; the filter refuses longer terms
  with a Chinese message (the page shows it, the API answers 422).
- FTS5 is asked for at most ``MAX_INDEX_TERMS`` distinct trigrams of the term
  (``fts_query``): a long phrase made FTS5 load one doclist per trigram,
  repeats included, before any scope applied (5,000 characters: 9.6 GB).
  A few trigrams spread over the term narrow the rows as well; the
  ``icontains`` condition still decides, so the answer is unchanged.
- At most ``CANDIDATE_LIMIT`` candidates, and the candidate query runs under a
  time budget (``TIME_BUDGET_SECONDS``, SQLite's progress handler): past it
  SQLite interrupts the query and the filter falls back to the plain
  condition, which is bounded by the table, not by the term.

Django rebuilds an SQLite table to alter it, which drops its triggers; the
``post_migrate`` hook (``ensure_text_index``) puts them back and re-indexes.
Until then (or on an SQLite built without FTS5) the search scans: slower,
never stale.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, transaction
from django.db import connection as default_connection

logger = logging.getLogger(__name__)

CANDIDATE_LIMIT = 2000
MIN_TERM_LENGTH = 3
MAX_TERM_LENGTH = 100
MAX_INDEX_TERMS = 6
TIME_BUDGET_SECONDS = 0.3
PROGRESS_STEPS = 2000  # SQLite VM instructions between two looks at the clock

TABLE = "hazards_hazard"
FTS_TABLE = "hazards_hazard_fts"
COLUMNS = ("code", "title", "description", "unit_name", "address")
TRIGGERS = (f"{FTS_TABLE}_ai", f"{FTS_TABLE}_ad", f"{FTS_TABLE}_au")
PG_INDEXES = tuple(f"hazard_trgm_{column}" for column in COLUMNS)


# --- Schema ----------------------------------------------------------------------------


def _sqlite_statements() -> list[str]:
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    delete_old = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    insert_new = f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
        f"{cols}, content='{TABLE}', content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[0]} AFTER INSERT ON {TABLE} BEGIN {insert_new} END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[1]} AFTER DELETE ON {TABLE} BEGIN {delete_old} END",
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGERS[2]} AFTER UPDATE OF {cols} ON {TABLE} "
        f"BEGIN {delete_old} {insert_new} END",
    ]


def _sqlite_missing(cursor) -> set[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE (type = 'table' AND name = %s) OR (type = 'trigger' AND name IN (%s, %s, %s))",
        [FTS_TABLE, *TRIGGERS],
    )
    present = {row[0] for row in cursor.fetchall()}
    return {FTS_TABLE, *TRIGGERS} - present


def ensure_text_index(connection=None) -> bool:
    """Create whatever part of the text index is missing; True when it is complete.

    Idempotent and cheap when everything is in place. On SQLite, when the
    index or a trigger was missing, the index is rebuilt from the table.
    """
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if TABLE not in connection.introspection.table_names(cursor):
                return False
            missing = _sqlite_missing(cursor)
            if not missing:
                return True
            try:
                with transaction.atomic(using=connection.alias):
                    for statement in _sqlite_statements():
                        cursor.execute(statement)
                    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
            except Exception:  # an SQLite built without FTS5 or the trigram tokenizer
                logger.warning("SQLite 不支持 FTS5 trigram，隐患关键词检索将逐行匹配", exc_info=True)
                return False
            return True
        if connection.vendor == "postgresql":
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                    for column, name in zip(COLUMNS, PG_INDEXES, strict=True):
                        cursor.execute(
                            f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} USING gin (UPPER({column}::text) gin_trgm_ops)"
                        )
            except Exception:  # pg_trgm not installable by this role
                logger.warning("无法启用 pg_trgm，隐患关键词检索将逐行匹配", exc_info=True)
                return False
            return True
    return False


def drop_text_index(connection=None) -> None:
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for trigger in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif connection.vendor == "postgresql":
            for name in PG_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")


def text_index_ready(connection=None) -> bool:
    """Whether the SQLite text index and its triggers are all in place (PostgreSQL: the indexes)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            return not _sqlite_missing(cursor)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexname = ANY(%s)",
                [TABLE, list(PG_INDEXES)],
            )
            return cursor.fetchone()[0] == len(PG_INDEXES)
    return False


# --- Query -----------------------------------------------------------------------------


def trigrams(term: str) -> list[str]:
    """The distinct trigrams of ``term``, in order (letter case ignored).

    The trigrams are passed on as written: FTS5 folds their case itself, the
    way it folded the indexed text. Any subset of them is in every row that
    contains the term, so dropping repeats never loses a match.
    """
    seen: dict[str, str] = {}
    for start in range(len(term) - MIN_TERM_LENGTH + 1):
        trigram = term[start : start + MIN_TERM_LENGTH]
        seen.setdefault(trigram.lower(), trigram)
    return list(seen.values())


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(term: str) -> str:
    """The FTS5 MATCH expression for ``term``: at most ``MAX_INDEX_TERMS`` trigrams.

    A short term is one phrase (its trigrams in order). A longer one becomes
    ``"abc" AND "def" AND …`` over at most ``MAX_INDEX_TERMS`` of its distinct
    trigrams, spread from its first to its last: every row containing the term
    contains them all, so the candidates still include every match.
    """
    if len(term) - MIN_TERM_LENGTH + 1 <= MAX_INDEX_TERMS:
        return _quoted(term)
    distinct = trigrams(term)
    if len(distinct) > MAX_INDEX_TERMS:
        last = len(distinct) - 1
        picks = sorted({round(i * last / (MAX_INDEX_TERMS - 1)) for i in range(MAX_INDEX_TERMS)})
        distinct = [distinct[i] for i in picks]
    return " AND ".join(_quoted(trigram) for trigram in distinct)


@contextmanager
def time_budget(connection, seconds: float) -> Iterator[None]:
    """Interrupt any SQLite statement run inside this block once ``seconds`` have passed.

    The interrupted statement raises ``OperationalError`` ("interrupted"); the
    connection stays usable. Other databases: no budget (PostgreSQL answers
    the keyword condition from its trigram indexes).
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def candidate_ids(term: str, limit: int | None = None) -> list[int] | None:
    """Ids of every hazard that may match ``term`` under the ``q`` filter, from the text index.

    None when the index cannot narrow the search: the term is too short, the
    database has no text index, more than ``limit`` rows match (a common
    term), or the index took longer than ``TIME_BUDGET_SECONDS``. The caller
    still applies the filter's condition to the candidates.

    PostgreSQL needs no candidates (always None): its planner uses the trigram
    indexes for the condition itself when the term is rare (it estimates from
    sample statistics) and walks the newest rows when the term is common.
    Collecting candidates there would build a bitmap of every match of a
    common term for nothing (bench/RESULTS.md).
    """
    from .models import Hazard

    limit = CANDIDATE_LIMIT if limit is None else limit
    connection = default_connection
    if connection.vendor != "sqlite" or len(term) < MIN_TERM_LENGTH:
        return None
    with connection.cursor() as cursor:
        if _sqlite_missing(cursor):
            return None
        # FTS5 stops after limit + 1 matches, so a common term costs little here.
        try:
            with time_budget(connection, TIME_BUDGET_SECONDS):
                cursor.execute(
                    f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s", [fts_query(term), limit + 1]
                )
                ids = [row[0] for row in cursor.fetchall()]
        except OperationalError:
            logger.warning(
                "隐患关键词检索超过 %.1f 秒，改为逐行匹配（关键词 %d 个字符）", TIME_BUDGET_SECONDS, len(term)
            )
            return None
    if len(ids) <= limit:
        ids += Hazard.objects.filter(unit_uscc=term.upper()).values_list("pk", flat=True)[: limit + 1]
    return ids if len(ids) <= limit else None
