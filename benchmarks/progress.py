"""How fast is the progress figure on a province of 3.7 million citizens?

Builds a synthetic province — districts of ~25 communes each plus a 70,000-citizen district shaped
like Bỉm Sơn (7 communes), denominators summing to 3.7 million, about a million and a half
"Công dân học tập" recognitions approved since January 2024 (most in district decisions twice a
month, some one by one on any working day, a few revoked) and a few thousand "Đơn vị học tập"
ones — with their households, persons and nominations, and the per-day counter rows the workflow
engine would have written for them. Rows go in by bulk SQL (executemany on SQLite, COPY on
PostgreSQL): driving 1.5 million nominations through the engine one by one would take hours and
measure nothing progress() depends on.

Then it times certify.services.progress.progress(unit, workflow, as_of) for the province and the
small district, each repetition in a fresh session (as a request would be), and prints the median
and 95th percentile.

    .venv/bin/python benchmarks/progress.py                     # SQLite file in a temp folder
    CERTIFY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/progress.py                 # PostgreSQL: THE DATABASE IS WIPED

Options: --recognitions N, --repetitions N, --verify (also recount from the records once, with
certify.services.progress.discrepancies, and report how long that takes).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
import json
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text

from certify import clock, create_app
from certify.extensions import db
from certify.models import Unit
from certify.services import progress, units
from certify.workflow import workflow

CITIZEN, UNIT_TITLE = "cong-dan-hoc-tap", "don-vi-hoc-tap"
PROVINCE_CITIZENS = 3_700_000
SMALL_DISTRICT = [8900, 9800, 13600, 9700, 11200, 8300, 8500]  # 70,000, as in bim-son.yaml
BIG_DISTRICTS, COMMUNES_PER_BIG_DISTRICT = 4, 24
START = date(2024, 1, 1)
CHUNK = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recognitions", type=int, default=1_500_000)
    parser.add_argument("--organizations", type=int, default=3_000)
    parser.add_argument("--repetitions", type=int, default=300)
    parser.add_argument("--verify", action="store_true")
    args = parser.parse_args()

    app, folder = open_app()
    with app.app_context():
        dialect = db.engine.dialect.name
        print(f"database: {dialect} ({db.engine.url.render_as_string(hide_password=True)})")
        t0 = time.perf_counter()
        reset_schema()
        today = clock.today()
        tree = build_units()
        enter_denominators(tree, today, args.organizations)
        rng = random.Random(1373)
        with secondary_indexes_dropped(("households", "persons", "nominations", "recognitions")):
            counts = load_recognitions(tree, today, rng, args.recognitions, args.organizations)
        analyse()
        print(f"built in {time.perf_counter() - t0:.0f} s: " + ", ".join(
            f"{name} {value:,}" for name, value in counts.items()))
        print("  of which bulk inserts: " + ", ".join(
            f"{table} {seconds:.0f} s" for table, seconds in INSERT_SECONDS.items()))

        province, small = tree["province"], tree["small_district"]
        cases = [("province, 3.7M citizens", province.id, CITIZEN),
                 ("district, 70,000 citizens", small.id, CITIZEN),
                 ("province, units title", province.id, UNIT_TITLE)]
        print(f"\nprogress(unit, workflow, as_of={today.isoformat()}), "
              f"{args.repetitions} repetitions each, fresh session each time:")
        print(f"{'case':<28} {'holders':>10} {'denominator':>12} {'median ms':>10} {'p95 ms':>8}")
        for label, unit_id, title in cases:
            figure, times = time_progress(unit_id, title, today, args.repetitions)
            p95 = statistics.quantiles(times, n=20)[-1]
            print(f"{label:<28} {figure.holders:>10,} {figure.denominator or 0:>12,} "
                  f"{statistics.median(times):>10.2f} {p95:>8.2f}")

        if args.verify:
            for title in (CITIZEN, UNIT_TITLE):
                t = time.perf_counter()
                differences = progress.discrepancies(title, today)
                print(f"\nrecount of {title} from the records: {time.perf_counter() - t:.1f} s, "
                      f"{len(differences)} unit(s) disagree")
                db.session.remove()
        db.session.remove()
        db.engine.dispose()
    if folder is not None:
        folder.cleanup()


def open_app():
    """The app on CERTIFY_BENCH_DATABASE_URL, or on an SQLite file in a temporary folder (returned
    too, to clean up; None otherwise)."""
    url = os.environ.get("CERTIFY_BENCH_DATABASE_URL")
    folder = None
    if not url:
        folder = tempfile.TemporaryDirectory(prefix="certify-bench-")
        url = f"sqlite:///{Path(folder.name) / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "benchmark", "RATELIMIT_ENABLED": False})
    return app, folder


def reset_schema() -> None:
    from flask_migrate import upgrade

    db.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()


def build_units() -> dict:
    province = units.create(code="90", name="Tỉnh Thử Nghiệm", level="province")
    communes: list[tuple[Unit, int]] = []  # (commune, citizens)
    big_total = PROVINCE_CITIZENS - sum(SMALL_DISTRICT)
    n_big = BIG_DISTRICTS * COMMUNES_PER_BIG_DISTRICT
    sizes = [big_total // n_big] * n_big
    sizes[0] += big_total - sum(sizes)
    for d in range(BIG_DISTRICTS):
        district = units.create(code=f"9{d}0", name=f"Huyện Thử Nghiệm {d + 1}", level="district",
                                parent_code="90")
        for c in range(COMMUNES_PER_BIG_DISTRICT):
            commune = units.create(code=f"9{d}0{c:02d}", name=f"Xã {d + 1}.{c + 1}",
                                   level="commune", parent_code=district.code)
            communes.append((commune, sizes[d * COMMUNES_PER_BIG_DISTRICT + c]))
    small = units.create(code="981", name="Thị xã Nhỏ", level="district", parent_code="90")
    for c, citizens in enumerate(SMALL_DISTRICT):
        commune = units.create(code=f"981{c:02d}", name=f"Phường {c + 1}", level="commune",
                               parent_code="981")
        communes.append((commune, citizens))
    districts = list(db.session.scalars(select(Unit).where(Unit.level == "district")))
    return {"province": province, "small_district": small, "districts": districts,
            "communes": communes}


def enter_denominators(tree: dict, today: date, organizations: int) -> None:
    agencies = organizations // len(tree["districts"])
    for year in range(START.year, today.year + 2):
        for commune, citizens in tree["communes"]:
            units.set_denominators(commune, year, {CITIZEN: citizens})
        for district in tree["districts"]:
            units.set_denominators(district, year, {UNIT_TITLE: agencies})


def weekdays(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def load_recognitions(tree, today, rng, n_citizens, n_organizations) -> dict:
    """Insert households, persons, organizations, decisions, nominations, recognitions and the
    counter rows, as the engine would have left them."""
    now = stamp(datetime.now(UTC))
    every_weekday = weekdays(START, today)
    # District decisions: the 1st and 15th of each month (next weekday).
    decision_days = sorted({next(d for d in every_weekday if d >= date(y, m, day_of_month))
                            for y in range(START.year, today.year + 1) for m in range(1, 13)
                            for day_of_month in (1, 15)
                            if date(y, m, day_of_month) <= every_weekday[-1]})
    district_of = {c.id: c.parent_id for c, _ in tree["communes"]}
    ancestors = {u.id: u.ancestor_ids() for u in db.session.scalars(select(Unit))}
    citizens_total = sum(n for _, n in tree["communes"])
    # Communes receive recognitions in proportion to their citizens.
    cum_weights = list(itertools.accumulate(n / citizens_total for _, n in tree["communes"]))
    commune_ids = [c.id for c, _ in tree["communes"]]

    decisions, decision_rows = {}, []
    for district in tree["districts"]:
        for day in decision_days:
            decision_id = len(decision_rows) + 1
            decisions[(district.id, day)] = decision_id
            decision_rows.append((decision_id, f"{decision_id}/QĐ-UBND", day.isoformat(),
                                  "Chủ tịch UBND", f"ỦY BAN NHÂN DÂN {district.name.upper()}",
                                  district.id, None, now))
    bulk("decisions", ("id", "number", "date", "signer", "issuer", "unit_id", "created_by_id",
                       "created_at"), decision_rows)

    deltas: dict[tuple[int, str, date], int] = defaultdict(int)

    def count(unit_id: int, title: str, first: date, last: date) -> None:
        if last < first:
            return
        for u in ancestors[unit_id]:
            deltas[(u, title, first)] += 1
            deltas[(u, title, last + timedelta(days=1))] -= 1

    households, persons, nominations, recognitions = [], [], [], []
    assessment = json.dumps({c: 9 for c in ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4",
                                            "3.1", "3.2")})
    households_count = 0
    for i in range(1, n_citizens + 1):
        commune_id = rng.choices(commune_ids, cum_weights=cum_weights)[0]
        if (i - 1) % 4 == 0:
            households_count += 1
            households.append((households_count, commune_id, f"Hộ {households_count}", None,
                               now))
        # 92% in a district decision, 8% approved one by one on any working day.
        if rng.random() < 0.92:
            start = rng.choice(decision_days)
            decision_id = decisions[(district_of[commune_id], start)]
        else:
            start, decision_id = rng.choice(every_weekday), None
        until = clock.add_years(start, 1) - timedelta(days=1)
        revoked = None
        if rng.random() < 0.01:
            revoked = start + timedelta(days=rng.randrange(1, 365))
        last = min(until, revoked - timedelta(days=1)) if revoked else until
        count(commune_id, CITIZEN, start, last)
        # A household member lives where the household is: no unit of their own.
        persons.append((i, households_count, None, f"Công Dân {i}", f"cong dan {i}",
                        f"{i:012d}", 1950 + i % 55, ("male", "female")[i % 2],
                        ("commune_resident", "worker", "staff_business", "learner")[i % 4],
                        "Kinh", None, now))
        year = start.year - 1 if start.month < 3 else start.year
        nominations.append((i, f"CDHT-{start.year}-{i:010d}", CITIZEN, i, None, commune_id,
                            year, rule_version(CITIZEN, year),
                            "revoked" if revoked else "approved", 4, assessment, assessment,
                            None, now, now, now))
        recognitions.append((i, i, f"R{i:011d}", CITIZEN, commune_id, start.isoformat(),
                             until.isoformat(), None, decision_id,
                             revoked.isoformat() if revoked else None, None, now))
        if len(persons) >= CHUNK:
            flush(households, persons, nominations, recognitions)
    flush(households, persons, nominations, recognitions)

    # Agencies and units: recognised for 3 years, in district decisions.
    organizations = []
    unit_assessment = json.dumps({"1.1": 9, "1.2": 9, "1.3": 9, "2.1": 9, "2.2": 5, "2.3": 9,
                                  "2.4": 5, "3.1": 22, "3.2": 9, "3.3": 5})
    for j in range(1, n_organizations + 1):
        district = tree["districts"][j % len(tree["districts"])]
        organizations.append((j, f"Đơn vị {j}", district.id, 30, "district", now))
        if j % 5 < 2:  # 40% recognised
            start = rng.choice(decision_days)
            until = clock.add_years(start, 3) - timedelta(days=1)
            nid = n_citizens + j
            count(district.id, UNIT_TITLE, start, until)
            nominations.append((nid, f"DVHT-{start.year}-{j:010d}", UNIT_TITLE, None, j,
                                district.id, start.year, rule_version(UNIT_TITLE, start.year),
                                "approved", 4, unit_assessment,
                                unit_assessment, None, now, now, now))
            recognitions.append((nid, nid, f"U{j:011d}", UNIT_TITLE, district.id,
                                 start.isoformat(), until.isoformat(), "tot",
                                 decisions[(district.id, start)], None, None, now))
    bulk("organizations", ("id", "name", "unit_id", "members_count", "level", "created_at"),
         organizations)
    flush([], [], nominations, recognitions)

    rows = [(u, t, d.isoformat(), v) for (u, t, d), v in deltas.items() if v]
    bulk("progress_deltas", ("unit_id", "title_code", "day", "delta"), rows)
    fix_sequences()
    return {"units": 1 + len(tree["districts"]) + len(tree["communes"]),
            "citizen recognitions": n_citizens,
            "unit recognitions": sum(1 for j in range(1, n_organizations + 1) if j % 5 < 2),
            "decisions": len(decision_rows), "counter rows": len(rows)}


def flush(households, persons, nominations, recognitions) -> None:
    bulk("households", ("id", "unit_id", "name", "address", "created_at"), households)
    bulk("persons", ("id", "household_id", "unit_id", "full_name", "search_name", "national_id",
                     "birth_year", "gender", "target_group", "ethnicity", "occupation",
                     "created_at"), persons)
    bulk("nominations", ("id", "receipt_code", "title_code", "person_id", "organization_id",
                         "unit_id", "year", "rule_version", "state", "version", "self_assessment",
                         "review_assessment", "created_by_id", "created_at", "updated_at",
                         "submitted_at"), nominations)
    bulk("recognitions", ("id", "nomination_id", "code", "title_code", "unit_id", "valid_from",
                          "valid_until", "grade", "decision_id", "revoked_on", "revoke_reason",
                          "created_at"), recognitions)
    for rows in (households, persons, nominations, recognitions):
        rows.clear()


@functools.cache
def rule_version(title: str, year: int) -> str:
    """The id of the rule version a dossier of `year` is judged by (as nominations.create records
    it)."""
    wf = workflow(title)
    return (wf.rules_for_year(year) or wf.spec.versions[0]).id


def stamp(moment: datetime) -> str:
    """A timestamp as both databases read it back through certify.models.types.UTCDateTime."""
    if db.engine.dialect.name == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.isoformat()


INSERT_SECONDS: dict[str, float] = defaultdict(float)


def bulk(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    if not rows:
        return
    started = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "postgresql":
            # The rows are consistent by construction: skip the per-row foreign-key triggers
            # (needs a superuser, as the local trust-auth postgres is) and the commit flush.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL synchronous_commit = off")
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            # Room for the indexes in memory: bulk inserts into big B-trees otherwise thrash.
            cursor.execute("PRAGMA cache_size = -262144")
            cursor.execute("BEGIN")
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "
                               f"VALUES ({', '.join('?' * len(columns))})", rows)
        raw.commit()
    finally:
        raw.close()
    INSERT_SECONDS[table] += time.perf_counter() - started


@contextlib.contextmanager
def secondary_indexes_dropped(tables: tuple[str, ...]):
    """PostgreSQL: drop the indexes no constraint rests on while loading, build them afterwards
    (far faster than maintaining them row by row); the constraints stay and are checked."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.begin() as conn:
        indexes = conn.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)"),
            {"tables": list(tables)}).all()
        for name, _ in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    with db.engine.begin() as conn:
        for _, definition in indexes:
            conn.execute(text(definition))


def fix_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for table in ("households", "persons", "organizations", "decisions", "nominations",
                      "recognitions"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def analyse() -> None:
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def time_progress(unit_id: int, title: str, as_of: date, repetitions: int):
    wf = workflow(title)
    times, figure = [], None
    progress.progress(db.session.get(Unit, unit_id), wf, as_of)  # warm-up, not counted
    for _ in range(repetitions):
        db.session.remove()
        unit = db.session.get(Unit, unit_id)
        t = time.perf_counter()
        result = progress.progress(unit, wf, as_of)
        times.append((time.perf_counter() - t) * 1000)
        figure = result.figure
    return figure, times


if __name__ == "__main__":
    main()
