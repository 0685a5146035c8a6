"""How long does a province's reorganisation take to apply?

Builds the synthetic province of benchmarks/progress.py (3.7 million citizens, about a million and a
half recognitions, 103 communes in 5 districts), then merges its communes three by three within
each district (103 communes into 35 new ones, codes reused: each new commune takes its first
predecessor's code) with certify.services.reorganizations.apply, as `flask reorganize` would, and
prints the time beside that of a bare bulk UPDATE of the rows the product writes (households,
persons without a household, organizations, accounts and dossiers in progress of each old unit
moved to another unit of its group, in a transaction rolled back; run first, so neither pays alone
for a cold cache). Every household has its account (household accounts are added to the
province of benchmarks/progress.py), so the accounts moved are as many as the households, each
with its audit entry (which the bare UPDATE does not write). A household's members live where
the household is (persons.unit_id is NULL for them): they are counted in the plan but not
written. The apply includes moving the progress counters of the recognitions to the new
communes (progress.follow_reorganization, timed on its own too). Then it times progress() for the
province again and checks that its holders are the same on the day before and the day of the change.

    .venv/bin/python benchmarks/reorganize.py                   # SQLite file in a temp folder
    CERTIFY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/reorganize.py               # PostgreSQL: THE DATABASE IS WIPED

Options: --recognitions N (default 1,500,000), --repetitions N (progress timings), --profile
(print where the apply spends its time, by cProfile: the timing then includes its overhead).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import statistics
import time
from datetime import date

from sqlalchemy import func, select, text, update

import progress as bench  # benchmarks/progress.py: the synthetic province
from certify import clock
from certify.extensions import db
from certify.models import AuditEntry, Household, Nomination, Organization, Person, Unit, User
from certify.services import progress, reorganizations

EFFECTIVE = date(2025, 7, 1)
GROUP = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recognitions", type=int, default=1_500_000)
    parser.add_argument("--organizations", type=int, default=3_000)
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    app, folder = bench.open_app()
    with app.app_context():
        print(f"database: {db.engine.dialect.name}")
        t0 = time.perf_counter()
        bench.reset_schema()
        today = clock.today()
        tree = bench.build_units()
        bench.enter_denominators(tree, today, args.organizations)
        with bench.secondary_indexes_dropped(("households", "persons", "nominations",
                                              "recognitions")):
            counts = bench.load_recognitions(tree, today, random.Random(1373), args.recognitions,
                                             args.organizations)
        counts["household accounts"] = household_accounts()
        bench.analyse()
        print(f"built in {time.perf_counter() - t0:.0f} s: " + ", ".join(
            f"{name} {value:,}" for name, value in counts.items()))

        data = reorganization_file()
        units_by_code = dict(db.session.execute(select(Unit.code, Unit.id)).all())
        groups = [[units_by_code[c] for c in u["from"]] for u in data["units"]]
        # The bare UPDATE first, so that neither side pays for reading the rows from disk first.
        pairs = [(old, group[1] if old == group[0] and len(group) > 1 else group[0])
                 for group in groups for old in group]
        bare = bare_update(pairs)
        t = time.perf_counter()
        plan = reorganizations.plan(data)
        print(f"\nplan (dry run): {time.perf_counter() - t:.1f} s")
        province = db.session.scalar(select(Unit.id).where(Unit.level == "province"))
        day_before = date.fromordinal(EFFECTIVE.toordinal() - 1)
        held = {day: progress.holders([province], bench.CITIZEN, day)[province]
                for day in (day_before, EFFECTIVE, today)}
        follow, moving = progress.follow_reorganization, []

        def timed_follow(*a, **kw):  # the counters' share of the apply
            t = time.perf_counter()
            follow(*a, **kw)
            moving.append(time.perf_counter() - t)

        reorganizations.progress.follow_reorganization = timed_follow
        profiler = cProfile.Profile() if args.profile else None
        t = time.perf_counter()
        if profiler:
            profiler.enable()
        result = reorganizations.apply(data, actor=None)
        applied = time.perf_counter() - t
        reorganizations.progress.follow_reorganization = follow
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        moved = {k: sum(u.as_dict()["counts"][k] for u in result.units)
                 for k in ("households", "persons", "organizations", "accounts", "open_dossiers")}
        assert plan.units and result.applied
        print(f"apply: {len(data['units'])} new communes from "
              f"{sum(len(u['from']) for u in data['units'])}, in {applied:.1f} s; moved "
              + ", ".join(f"{k} {v:,}" for k, v in moved.items()))
        print(f"  of which moving the progress counters: {moving[0]:.1f} s")
        audited = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "update"))
        print(f"  and {audited:,} audit entries (moved accounts and organizations)")
        print(f"bare bulk UPDATE of the same rows (rolled back): {bare:.1f} s; "
              f"apply / bare = {applied / bare:.2f}")
        db.session.remove()

        after = {day: progress.holders([province], bench.CITIZEN, day)[province] for day in held}
        assert after == held, (held, after)
        first = units_by_code[data["units"][0]["code"]]
        new_first = db.session.scalar(select(Unit.id).where(
            Unit.code == data["units"][0]["code"], Unit.valid_from == EFFECTIVE))
        olds = [units_by_code[c] for c in data["units"][0]["from"]]
        was = sum(progress.holders(olds, bench.CITIZEN, day_before).values())
        now = progress.holders([new_first], bench.CITIZEN, EFFECTIVE)[new_first]
        print(f"province holders the same before and after the apply ({held[day_before]:,} on "
              f"{day_before}, {held[EFFECTIVE]:,} on {EFFECTIVE}); new commune {first}: {now:,} "
              f"on {EFFECTIVE}, its predecessors {was:,} on {day_before}")
        figure, times = bench.time_progress(province, bench.CITIZEN, today, args.repetitions)
        print(f"progress(province) after the change: {figure.holders:,} holders, median "
              f"{statistics.median(times):.2f} ms, p95 {statistics.quantiles(times, n=20)[-1]:.2f} ms")
        db.session.remove()
        db.engine.dispose()
    if folder is not None:
        folder.cleanup()


def household_accounts() -> int:
    """Every household has its account (it registers its members), in the household's unit: a
    reorganisation moves them all, each with its audit entry."""
    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (username, password_hash, role, display_name, unit_id, "
            "household_id, active, created_at) SELECT 'ho-' || id, '!', 'household', name, "
            "unit_id, id, TRUE, created_at FROM households"))
        return conn.execute(text("SELECT COUNT(*) FROM users")).scalar()


def reorganization_file() -> dict:
    """Each district's communes merged three by three, under the same district."""
    new_units = []
    by_district: dict[int, list[Unit]] = {}
    for commune in db.session.scalars(select(Unit).where(Unit.level == "commune")
                                      .order_by(Unit.code)):
        by_district.setdefault(commune.parent_id, []).append(commune)
    for district_id, communes in by_district.items():
        parent = db.session.get(Unit, district_id)
        for i in range(0, len(communes), GROUP):
            group = communes[i:i + GROUP]
            new_units.append({"code": group[0].code, "name": f"{group[0].name} mới",
                              "level": "commune", "parent_code": parent.code,
                              "from": [c.code for c in group]})
    return {"effective": EFFECTIVE.isoformat(), "source": "Benchmark", "units": new_units}


def bare_update(pairs: list[tuple[int, int]]) -> float:
    """The same rows moved by bare UPDATEs (each old unit's rows to another unit of its group,
    as many rows as the reorganisation writes: households, persons without a household,
    organizations, accounts, open dossiers), timed and rolled back."""
    db.session.commit()
    t = time.perf_counter()
    for old_id, other_id in pairs:
        for model, column in ((Household, Household.unit_id), (Person, Person.own_unit_id),
                              (Organization, Organization.unit_id), (User, User.unit_id)):
            db.session.execute(update(model).where(column == old_id)
                               .values({column: other_id})
                               .execution_options(synchronize_session=False))
        db.session.execute(update(Nomination).where(Nomination.unit_id == old_id,
                                                    reorganizations.in_progress())
                           .values(unit_id=other_id, version=Nomination.version + 1)
                           .execution_options(synchronize_session=False))
    db.session.flush()
    seconds = time.perf_counter() - t
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        # The rolled-back row versions would otherwise be left for the apply to step over (and
        # for autovacuum to clean up during it); SQLite leaves nothing behind a rollback.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM households, persons, organizations, users, nominations"))
    return seconds


if __name__ == "__main__":
    main()
