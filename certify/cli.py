"""Flask commands: init-db, create-admin, demo-data, check, reorganize (and backup, restore:
certify/backup.py; units: certify/units_cli.py).

Commands parse and print; the rules live in the services they call. A command that cannot do its
job prints why (in Vietnamese, with the service's reasons) and exits with status 1.
"""

from __future__ import annotations

from datetime import date

import click
from flask import Flask

def register(app: Flask) -> None:
    policy = (f"{app.config['PASSWORD_MIN_LENGTH']} to {app.config['PASSWORD_MAX_LENGTH']} "
              "characters, not a common password nor the username")

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the schema through the Alembic migrations."""
        from flask_migrate import upgrade

        upgrade()
        click.echo("The database schema is up to date.")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--password", prompt="Mật khẩu (password)", hide_input=True,
                  confirmation_prompt=True, help=f"{policy}; asked for when omitted.")
    def create_admin(username: str, password: str) -> None:
        """Create an admin account (tạo tài khoản quản trị)."""
        from .errors import CertifyError
        from .services import accounts

        _require_schema()
        try:
            user = accounts.create_user(username=username, password=password, role="admin")
        except CertifyError as exc:
            _fail("Không tạo được tài khoản quản trị.", exc)
        click.echo(f"Đã tạo tài khoản quản trị “{user.username}” (admin account created).")

    @app.cli.command("demo-data")
    @click.option("--password", default=None,
                  help="Give every demo account this password instead of a random one each "
                  f"({policy}).")
    @click.option("--scenario", type=click.Choice(["default", "reform-2025"]), default="default",
                  show_default=True,
                  help="default: the three-tier town as it stood before 1/7/2025. reform-2025: "
                       "the town from January 2024 through the 1/7/2025 reorganisation to today "
                       "(needs CERTIFY_PROFILE=vn-2025).")
    @click.option("--scale", type=float, default=None,
                  help="Multiply the wards' citizens and the people the demo generates "
                       "(default: CERTIFY_DEMO_SCALE, else 1.0, about 70,000 citizens; the "
                       "default scenario only).")
    def demo_data(password: str | None, scenario: str, scale: float | None) -> None:
        """Load the demo jurisdiction (thị xã Bỉm Sơn) with accounts and nominations.

        Run `flask --app certify init-db` first. Refuses when the database already holds units.
        """
        from .errors import CertifyError, Invalid
        from .services import demo, demo_reform

        _require_schema()
        try:
            if scenario == demo_reform.NAME:
                summary = demo_reform.load(password=password)
            else:
                summary = demo.load(password=password, scale=scale, say=click.echo)
        except demo_reform.WrongProfile as exc:
            _fail(f"Không nạp kịch bản {scenario}: kịch bản này chạy với hồ sơ tầng "
                  f"{demo_reform.PROFILE} (ba cấp đến 30/6/2025, hai cấp từ 1/7/2025), nhưng "
                  f"CERTIFY_PROFILE đang là “{exc.details['profile']}”. Hãy chạy với "
                  f"CERTIFY_PROFILE={demo_reform.PROFILE} (run with "
                  f"CERTIFY_PROFILE={demo_reform.PROFILE}).", exc)
        except demo.AlreadyLoaded as exc:
            if exc.details and exc.details.get("usernames"):
                _fail("Không nạp dữ liệu mẫu: các tên đăng nhập sau đã có: "
                      + ", ".join(exc.details["usernames"]) + ".", exc)
            _fail("Không nạp dữ liệu mẫu: cơ sở dữ liệu đã có đơn vị hành chính. Dữ liệu mẫu chỉ "
                  "nạp vào cơ sở dữ liệu trống (tạo cơ sở dữ liệu mới rồi chạy init-db).", exc)
        except Invalid as exc:
            _fail("Không nạp dữ liệu mẫu.", exc)
        except CertifyError as exc:
            _fail("Nạp dữ liệu mẫu thất bại giữa chừng; hãy tạo lại cơ sở dữ liệu rồi chạy lại.",
                  exc)
        click.echo(f"Đã nạp dữ liệu mẫu: {summary.units} đơn vị hành chính.")
        if getattr(summary, "reorganization", None) is not None:
            _print_scenario(summary)
        for title, by_year in sorted(summary.denominators.items()):
            figures = ", ".join(f"{year}: {_number(value)}" for year, value in sorted(by_year.items()))
            click.echo(f"Mẫu số {title}: {figures}")
        states = {}
        for (title, state), count in sorted(summary.nominations.items()):
            states.setdefault(title, []).append(f"{state} {count}")
        for title, parts in states.items():
            click.echo(f"Hồ sơ {title}: " + ", ".join(parts))
        for title, points in sorted(getattr(summary, "path", {}).items()):
            click.echo(f"Đạt {title}, toàn thị xã (holders): " + ", ".join(
                f"{day:%d/%m/%Y} {_number(held)}"
                + (f" ({held / denominator:.1%})" if denominator else "")
                for day, held, denominator in points))
        click.echo("")
        from .web.filters import role_name

        with app.test_request_context():  # labels in Vietnamese, the tiers in force named
            rows = [(a.username, role_name(a.role), a.unit_code or "—", a.password)
                    for a in summary.accounts]
        _table(("Tài khoản", "Vai trò", "Đơn vị", "Mật khẩu"), rows)

    @app.cli.command("demo-accounts")
    @click.option("--password", envvar="CERTIFY_DEMO_PASSWORD", default=None,
                  help="The demo's shared password (default: CERTIFY_DEMO_PASSWORD, else "
                       "hoc-tap-suot-doi-2030): printed when the accounts still have it.")
    def demo_accounts(password: str | None) -> None:
        """List the demo's accounts: username, role, unit, what to try and the shared password
        (scripts/demo.sh prints them on every start). Never prints a password hash."""
        from .services import demo
        from .web.filters import role_name

        _require_schema()
        password = password or demo.DEFAULT_PASSWORD
        listed = demo.demo_accounts(password)
        if not listed:
            click.echo("Chưa có tài khoản mẫu: hãy chạy `flask demo-data` (no demo accounts yet).")
            return
        with app.test_request_context():
            rows = [(a.username, role_name(a.role), a.unit_code or "—", TRY[a.role])
                    for a in listed]
        shared = [a for a in listed if a.shared]
        others = [a.username for a in listed if not a.shared]
        _table(("Tài khoản", "Vai trò", "Đơn vị", "Nên thử (what to try)"), rows)
        click.echo("")
        if shared:
            click.echo(f"Mật khẩu chung của {len(shared)} tài khoản (shared password): {password}")
        if others:
            click.echo("Không dùng mật khẩu chung — mật khẩu riêng được tạo ngẫu nhiên khi nạp dữ "
                       "liệu (đã in lúc đó) hoặc đã được đổi (generated at load time or changed; "
                       "not shown): " + ", ".join(others))

    @app.cli.command("check")
    @click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="The day to check (YYYY-MM-DD); default today in CERTIFY_TIMEZONE.")
    @click.option("--all-days", is_flag=True,
                  help="Check every day on which a counter or a recognition changes. The day "
                       "before and the day of every reorganisation are checked in any case.")
    @click.option("--repair", is_flag=True,
                  help="Rebuild the counters of a title that disagrees from its recognitions.")
    def check(as_of, all_days: bool, repair: bool) -> None:
        """Recount title holders from the recognitions and compare with the progress counters,
        on the day asked for (or every change day) and on the day before and the day of every
        reorganisation's effective date."""
        from . import clock
        from .services import audit
        from .services import progress as progress_service
        from .workflow import workflows

        _require_schema()
        day = as_of.date() if as_of is not None else clock.today()
        count = audit.unit_count()
        failed = False
        for code in sorted(workflows()):
            days = audit.days_to_check(code, day, all_days)
            found = audit.check(code, days)
            around = len(days) - (0 if all_days else 1)
            where = (f"{len(days)} ngày thay đổi" if all_days else
                     _date(day) + (f" + {around} ngày quanh các lần sắp xếp đơn vị (days around "
                                   f"reorganisations)" if around else ""))
            if not found:
                click.echo(f"{code} ({where}): cả {count} đơn vị đều khớp "
                           f"(all {count} units agree).")
                continue
            failed = True
            click.echo(f"{code} ({where}): bộ đếm và hồ sơ công nhận KHÔNG khớp "
                       f"(counters and records disagree):")
            for on, differences in found.items():
                for unit, counters, records in differences:
                    click.echo(f"  {_date(on)}  {unit.code} {unit.name}: bộ đếm {counters}, "
                               f"hồ sơ {records} (counters {counters}, records {records})")
            if repair:
                progress_service.rebuild(code)
                if audit.check(code, days):
                    click.echo(f"{code}: vẫn không khớp sau khi dựng lại (still disagree after "
                               f"the rebuild).")
                else:
                    failed = False
                    click.echo(f"{code}: đã dựng lại bộ đếm từ hồ sơ công nhận; cả {count} đơn vị "
                               f"đều khớp (counters rebuilt; all {count} units agree).")
        if failed:
            raise SystemExit(1)

    @app.cli.command("reorganize")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Print what would move; change nothing.")
    def reorganize(file: str, dry_run: bool) -> None:
        """Apply a reorganisation of units (sắp xếp đơn vị hành chính) from a YAML (.yaml, .yml)
        or CSV (.csv) file."""
        from .errors import CertifyError
        from .services import reorganization_files

        _require_schema()
        with open(file, "rb") as handle:
            content = handle.read()
        try:
            plan = (reorganization_files.plan(content, file) if dry_run
                    else reorganization_files.apply(content, file, actor=None))
        except CertifyError as exc:
            _fail("Không áp dụng được việc sắp xếp đơn vị (the reorganisation was refused).", exc)
        _print_plan(plan, dry_run)
        if dry_run and plan.unassigned:
            raise SystemExit(1)

    @app.cli.command("import")
    @click.argument("kind", type=click.Choice(["persons", "members", "recognitions"]))
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Check every row and print what would be "
                                                   "created; change nothing.")
    @click.option("--errors", "errors_path", type=click.Path(dir_okay=False), default=None,
                  help="Where to write every problem as CSV (default: FILE.errors.csv).")
    def import_command(kind: str, file: str, dry_run: bool, errors_path: str | None) -> None:
        """Import a list (CSV or XLSX): persons (households), members of organizations, or
        recognitions granted on paper. All rows or none; exits 1 listing the bad rows."""
        from .services import imports

        _require_schema()
        with open(file, "rb") as handle:
            data = handle.read()
        bars: dict[str, object] = {}

        def progress(phase: str, done: int, total: int) -> None:
            bar = bars.get(phase)
            if bar is None:
                for other in bars.values():
                    other.render_finish()
                label = "Kiểm tra (checking)" if phase == "check" else "Ghi (writing)"
                bar = bars[phase] = click.progressbar(length=total, label=label, file=None)
                bar.render_progress()
            bar.update(done)

        try:
            report = (imports.check(kind, data, progress) if dry_run
                      else imports.apply(kind, data, actor=None, progress=progress))
        except imports.ImportRefused as refused:
            report = refused.report
        finally:
            for bar in bars.values():
                bar.render_finish()
        _print_import(report, dry_run)
        if report.errors:
            path = errors_path or file + ".errors.csv"
            with open(path, "w", encoding="utf-8", newline="") as out:
                out.write(report.errors_csv())
            click.echo(f"Danh sách đầy đủ các lỗi (every problem): {path}", err=True)
            raise SystemExit(1)

    from .backup import backup_command, restore_command
    from .units_cli import units_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(units_command)
    app.cli.add_command(notifications_command)


def _require_schema() -> None:
    """Stop with a clear message when `init-db` has not created the tables yet."""
    from sqlalchemy import inspect

    from .extensions import db

    existing = set(inspect(db.engine).get_table_names())
    missing = sorted(set(db.metadata.tables) - existing)
    if missing:
        click.echo("Cơ sở dữ liệu chưa có lược đồ (thiếu bảng: " + ", ".join(missing) + "). "
                   "Hãy chạy trước: flask --app certify init-db", err=True)
        raise SystemExit(1)


def _fail(message: str, exc) -> None:
    click.echo(message, err=True)
    details = exc.details if isinstance(exc.details, list) else []
    for reason in details:
        click.echo(f"  - {reason.get('field')}: {reason.get('message')}", err=True)
    if not details:
        click.echo(f"  ({exc.message})", err=True)
    raise SystemExit(1)


def _print_import(report, dry_run: bool) -> None:
    """An import's counts and its first problems, Vietnamese first."""
    from flask_babel import force_locale

    from .services import imports
    from .web.admin import import_reason

    bad = report.bad_rows
    if report.file_problem:
        click.echo("Không đọc được tệp; không thay đổi gì (the file was refused; nothing changed).",
                   err=True)
    else:
        click.echo(f"{_number(report.rows)} dòng, {_number(report.valid)} hợp lệ, {_number(bad)} có "
                   f"lỗi ({report.rows} rows, {report.valid} valid, {bad} bad).")
        verb = ("Sẽ tạo (would create)" if dry_run or not report.applied else "Đã tạo (created)")
        click.echo(f"{verb}: " + ", ".join(f"{k} {_number(v)}" for k, v in report.created.items()))
        if any(report.matched.values()):
            click.echo("Đã có, dùng lại (matched): "
                       + ", ".join(f"{k} {_number(v)}" for k, v in report.matched.items()))
    if report.errors:
        if not report.file_problem and not dry_run:
            click.echo("Không nhập dòng nào (nothing was imported).", err=True)
        with force_locale("vi"):  # the page's wording, with the English message after it
            for p in report.errors[:imports.SHOWN_ERRORS]:
                where = f"dòng {p.line}, " if p.line is not None else ""
                click.echo(f"  {where}cột {p.column}: {import_reason(p)} ({p.message})", err=True)
        if len(report.errors) > imports.SHOWN_ERRORS:
            click.echo(f"  … và {_number(len(report.errors) - imports.SHOWN_ERRORS)} lỗi khác "
                       f"({len(report.errors)} problems in all).", err=True)


# How a unit was taken over (models.SUCCESSION_KINDS), as the command prints it.
KINDS = {"merge": "sáp nhập", "split": "chia tách", "rename": "đổi tên"}


def _print_plan(plan, dry_run: bool) -> None:
    """A reorganisation plan (services/reorganizations.Plan), Vietnamese first."""
    click.echo(f"Sắp xếp đơn vị hành chính từ {_date(plan.effective)} — {plan.source}")
    if plan.already_applied:
        click.echo("Đã áp dụng trước đây; không thay đổi gì (already applied; nothing changed).")
        return
    click.echo("Đơn vị kết thúc ngày " + _date(plan.effective.fromordinal(
        plan.effective.toordinal() - 1)) + " (units ending): "
        + ", ".join(f"{u['code']} {u['name']}" for u in plan.ending))
    rows = []
    for u in plan.units:
        c = u.as_dict()["counts"]
        rows.append((u.code, u.name, ", ".join(f"{r['code']} ({KINDS.get(r['kind'], r['kind'])})"
                                               for r in u.replaces),
                     _number(c["households"]), _number(c["organizations"]),
                     _number(c["persons"]), _number(c["accounts"]), _number(c["open_dossiers"])))
    _table(("Mã", "Đơn vị mới", "Từ (from)", "Hộ", "Cơ quan", "Công dân", "Tài khoản",
            "Hồ sơ đang xử lý"), rows)
    for u in plan.units:
        for d in u.carried:
            click.echo(f"  {u.code}: mẫu số {d['title_code']} {d['year']} = {_number(d['value'])} "
                       f"(cộng từ các đơn vị cũ; carried)")
        for d in u.to_enter:
            click.echo(f"  {u.code}: mẫu số {d['title_code']} {d['year']} cần quản trị nhập "
                       f"(to be entered by an admin)")
    for item in plan.unassigned:
        click.echo(f"Chưa phân về đơn vị mới (unassigned): {item['kind']} {item['id']} "
                   f"{item['name']} — {item['unit']}")
    if dry_run:
        click.echo("Chạy thử: chưa thay đổi gì (dry run: nothing changed).")
    else:
        click.echo("Đã áp dụng (applied).")


def _print_scenario(summary) -> None:
    """What the reform-2025 scenario did: its decisions and the reorganisation."""
    for day, unit_code, count in summary.decisions:
        click.echo(f"Quyết định công nhận ngày {_date(day)} của đơn vị {unit_code}: {count} hồ sơ")
    plan = summary.reorganization
    click.echo(f"Sắp xếp đơn vị hành chính từ {_date(plan.effective)} ({plan.source}): "
               + ", ".join(f"{u.name} ({u.code}) nhận {u.as_dict()['counts']['open_dossiers']} "
                           f"hồ sơ đang xử lý" for u in plan.units))


def _date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# What to try with each role's demo account (README, "Accounts to try").
TRY = {
    "household": "thành viên, tự đánh giá, nộp và theo dõi hồ sơ",
    "organization": "hồ sơ “Đơn vị học tập”, thành viên, hồ sơ “Công dân học tập” cho thành viên",
    "reviewer": "hàng đợi thẩm định: xác nhận đạt, trả lại, không công nhận (cả loạt)",
    "approver": "hồ sơ đã thẩm định, quyết định công nhận, giấy chứng nhận, tiến độ",
    "admin": "đơn vị, mẫu số, tài khoản, cơ quan, nhập danh sách, tiến độ",
}


def _number(value: int) -> str:
    """3.700.000: Vietnamese digit grouping."""
    return f"{value:,}".replace(",", ".")


def _table(header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    click.echo(line.format(*header).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in rows:
        click.echo(line.format(*row).rstrip())


# -- notifications --------------------------------------------------------------------------------

from flask.cli import AppGroup  # noqa: E402

notifications_command = AppGroup(
    "notifications", help="Thông báo: gửi thư trong hộp thư đi, tạo lời nhắc, chạy worker "
                          "(notifications: deliver the outbox, create reminders, run the worker).")


@notifications_command.command("deliver")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Send at most this many mails (default: all that are due).")
def notifications_deliver(limit: int | None) -> None:
    """Send the e-mails due in the outbox (gửi thư đến hạn trong hộp thư đi)."""
    from .services import notifications

    _require_schema()
    if not notifications.mail_enabled():
        click.echo("Chưa cấu hình CERTIFY_MAIL_SERVER: không gửi thư (mail is off).")
        return
    done = notifications.deliver(limit=limit)
    click.echo(f"Đã gửi {done.sent}, sẽ thử lại {done.retried}, thất bại {done.failed} "
               f"(sent {done.sent}, to retry {done.retried}, failed {done.failed}).")
    counts = notifications.outbox_counts()
    click.echo("Hộp thư đi (outbox): " + ", ".join(
        f"{state} {counts.get(state, 0)}" for state in ("pending", "sending", "sent", "failed")))


@notifications_command.command("remind")
def notifications_remind() -> None:
    """Create today's reminders, once per dossier and deadline (tạo lời nhắc hạn)."""
    from .services import notifications

    _require_schema()
    written = notifications.remind()
    click.echo(f"Đã tạo {written} lời nhắc (reminders created: {written}).")


@notifications_command.command("worker")
@click.option("--burst", is_flag=True,
              help="Stop once nothing is left to do (RQ's burst mode; without Redis: one pass).")
@click.option("--interval", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Without Redis: seconds between passes over the outbox.")
def notifications_worker(burst: bool, interval: float) -> None:
    """Deliver notification mail continuously: an RQ worker on CERTIFY_REDIS_URL, otherwise a
    loop over the outbox (chạy worker gửi thư)."""
    import time

    from .services import notifications

    _require_schema()
    q = notifications.queue()
    if q is None:
        click.echo("Không có CERTIFY_REDIS_URL: duyệt hộp thư đi mỗi "
                   f"{interval:g} giây (no Redis: polling the outbox).")
        while True:
            notifications.deliver()
            if burst:
                return
            time.sleep(interval)
    from rq import SimpleWorker

    # What a crash or a Redis outage left in the outbox is picked up at start.
    notifications.enqueue_delivery()
    # SimpleWorker runs jobs in this process, inside this app context (no fork sharing the
    # database connections).
    SimpleWorker([q], connection=q.connection).work(burst=burst, with_scheduler=True)
