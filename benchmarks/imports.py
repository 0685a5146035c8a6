"""How fast does `flask import persons` take a ward's (or a province's) list?

Writes a CSV of N persons (households of four, spread over ten communes), then, in the same run,
alternately:
- the product: certify.services.imports.apply("persons", the file's bytes) — reading the CSV,
  checking every row (units, số định danh against the database, duplicates, lengths), inserting
  the households and persons in one transaction;
- the baseline: the same household and person rows, prepared beforehand, inserted with the
  driver's bare `executemany` into the same tables in one transaction — the lower bound for the
  same writes.
Both tables are emptied after each (not timed). Prints the median of each over the repetitions
and the ratio baseline / product (issue 9's target: at least 0.33).

    .venv/bin/python benchmarks/imports.py                       # 10,000 persons, SQLite file
    .venv/bin/python benchmarks/imports.py --persons 1000000 --repetitions 1
    CERTIFY_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python benchmarks/imports.py                   # PostgreSQL: THE DATABASE IS WIPED
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timezone

from sqlalchemy import text

import progress as bench  # benchmarks/progress.py: app and schema helpers
from certify.extensions import db
from certify.services import imports, units
from certify.services.validate import fold

COMMUNES = 10
HOUSEHOLD = 4
HEADER = "Hộ gia đình,Địa chỉ,Mã xã,Họ và tên,Số định danh,Năm sinh,Giới tính,Đối tượng,Dân tộc"
GROUPS = ("Người lao động", "Người dân trong xã, phường", "Học sinh, sinh viên, học viên",
          "Cán bộ, công nhân viên, doanh nhân")
GROUP_CODES = ("worker", "commune_resident", "learner", "staff_business")


def person(i: int) -> tuple:
    h = i // HOUSEHOLD
    return (f"Hộ Nguyễn Văn {h}", f"Số {h} đường Trần Phú", f"9{h % COMMUNES:04d}",
            f"Nguyễn Thị Thử {i}", f"0{38_000_000_000 + i:011d}", 1940 + i % 80,
            "Nam" if i % 2 else "Nữ", i % 4, "Kinh")


def csv_file(n: int) -> bytes:
    lines = [HEADER]
    for i in range(n):
        hh, addr, code, name, nid, year, gender, group, eth = person(i)
        lines.append(f'{hh},{addr},{code},{name},{nid},{year},{gender},"{GROUPS[group]}",{eth}')
    return ("\n".join(lines) + "\n").encode("utf-8")


def baseline_rows(n: int, unit_ids: dict[str, int]) -> tuple[list[tuple], list[tuple]]:
    now = datetime.now(timezone.utc)
    stamp = now if db.engine.dialect.name == "postgresql" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    households, persons = [], []
    for i in range(n):
        hh, addr, code, name, nid, year, gender, group, eth = person(i)
        hid = i // HOUSEHOLD + 1
        if i % HOUSEHOLD == 0:
            households.append((hid, unit_ids[code], hh, addr, stamp))
        # A household member lives where its household is: no unit of its own (models.Person).
        persons.append((hid, None, name, fold(name), nid, year,
                        "male" if gender == "Nam" else "female", GROUP_CODES[group], eth, stamp))
    return households, persons


def executemany(households: list[tuple], persons: list[tuple]) -> float:
    mark = "%s" if db.engine.dialect.name == "postgresql" else "?"
    raw = db.engine.raw_connection()
    try:
        t = time.perf_counter()
        cursor = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        cursor.executemany("INSERT INTO households (id, unit_id, name, address, created_at) "
                           f"VALUES ({', '.join([mark] * 5)})", households)
        cursor.executemany(
            "INSERT INTO persons (household_id, unit_id, full_name, search_name, national_id, "
            "birth_year, gender, target_group, ethnicity, created_at) "
            f"VALUES ({', '.join([mark] * 10)})", persons)
        raw.commit()
        return time.perf_counter() - t
    finally:
        raw.close()


def product(data: bytes) -> float:
    t = time.perf_counter()
    report = imports.apply("persons", data, None)
    elapsed = time.perf_counter() - t
    assert report.applied and not report.errors, report.errors[:3]
    db.session.remove()
    return elapsed


def empty() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM persons"))
        conn.execute(text("DELETE FROM households"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()

    app, folder = bench.open_app()
    with app.app_context():
        print(f"database: {db.engine.dialect.name}; {args.persons:,} persons in households of "
              f"{HOUSEHOLD}, {COMMUNES} communes; {args.repetitions} repetitions")
        bench.reset_schema()
        units.create(code="90", name="Tỉnh Thử Nghiệm", level="province")
        units.create(code="900", name="Huyện Thử Nghiệm", level="district", parent_code="90")
        unit_ids = {}
        for c in range(COMMUNES):
            unit_ids[f"9{c:04d}"] = units.create(code=f"9{c:04d}", name=f"Xã {c}",
                                                 level="commune", parent_code="900").id
        data = csv_file(args.persons)
        households, persons = baseline_rows(args.persons, unit_ids)
        print(f"file: {len(data) / 1e6:.1f} MB")
        ours, bare = [], []
        for rep in range(args.repetitions):
            # Alternate which goes first, so that neither always meets a warmer cache.
            for side in ((0, 1) if rep % 2 == 0 else (1, 0)):
                if side == 0:
                    ours.append(product(data))
                else:
                    bare.append(executemany(households, persons))
                empty()
        product_s, baseline_s = statistics.median(ours), statistics.median(bare)
        print(f"import (read, check, write): median {product_s:.2f} s "
              f"({args.persons / product_s:,.0f} persons/s)")
        print(f"bare executemany of the same rows: median {baseline_s:.2f} s "
              f"({args.persons / baseline_s:,.0f} persons/s)")
        print(f"ratio baseline / import: {baseline_s / product_s:.2f} (target >= 0.33)")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
