"""Evidence files (minh chứng) per indicator of a nomination, kept under instance/evidence/ —
outside the web root — and handed out only to those who may see the nomination.

The bytes are stored as <evidence folder>/<nomination id>/<random token>.<kind>: nothing the
uploader names reaches the file system. What is known of them (indicator, original name, size,
kind, checksum, who and when) is an `EvidenceFile` row, written in the same transaction that
checks the limits with the nomination locked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, select

from .. import clock, policy
from ..database import writes
from ..errors import Forbidden, NotFound, TransitionNotAllowed, invalid
from ..extensions import db
from ..filenames import safe_filename
from ..models import EvidenceFile, User
from ..rubric import Reason
from ..workflow import engine, meaning, workflow
from . import nominations, scope

# What a phone camera or a scanner produces; recognised by their first bytes, not their names.
SIGNATURES = {"pdf": b"%PDF-", "jpg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}
MAX_BYTES = 5 * 1024 * 1024
MAX_FILES_PER_CRITERION = 5
# An upload request carries one file; its other fields (criterion, CSRF token on the page) and
# the multipart envelope fit well within the overhead.
FILES_PER_REQUEST = 1
FORM_OVERHEAD = 64 * 1024
TOKEN = re.compile(r"^[0-9a-f]{32}$")


def max_bytes() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_BYTES", MAX_BYTES))


def request_limit() -> int:
    """The body limit of an upload request (page or API), a little above the file limit: an
    oversized body is refused (413) before it is read."""
    return max_bytes() * FILES_PER_REQUEST + FORM_OVERHEAD


def root() -> Path:
    """instance/evidence/ unless CERTIFY_EVIDENCE_FOLDER says otherwise."""
    configured = current_app.config.get("EVIDENCE_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "evidence"


def path_of(record: EvidenceFile) -> Path:
    return root() / str(record.nomination_id) / record.filename


def _files(nomination_id: int):
    return (select(EvidenceFile).where(EvidenceFile.nomination_id == nomination_id)
            .order_by(EvidenceFile.uploaded_at, EvidenceFile.id))


def list_files(actor: User, nomination_id: int) -> list[EvidenceFile]:
    """The nomination's files in upload order (404 outside the actor's scope)."""
    nominations.get(actor, nomination_id)
    return list(db.session.scalars(_files(nomination_id)))


def page_of_files(actor: User, nomination_id: int, page: int, per_page: int):
    """One page of `list_files` (404 outside the actor's scope)."""
    nominations.get(actor, nomination_id)
    return nominations.paginate(_files(nomination_id), page, per_page)


def _lock_editable(actor: User, nomination_id: int):
    """The nomination, row-locked, if the actor may change its evidence now."""
    n = engine.lock(nomination_id)
    if n is None or not policy.can_view(actor, n):
        raise NotFound("No such nomination.")
    if n.state not in meaning.editable_states(workflow(n.title_code).spec):
        raise TransitionNotAllowed(f"Evidence cannot change while the nomination is {n.state}.",
                                   {"state": n.state})
    if not policy.is_applicant(actor, n):
        raise Forbidden("Only the applicant adds or removes evidence.")
    return n


@writes
def add(actor: User, nomination_id: int, *, criterion: str, filename: str,
        stream: BinaryIO) -> EvidenceFile:
    n = _lock_editable(actor, nomination_id)
    if criterion not in slots(workflow(n.title_code).rules(n)):
        raise invalid("criterion", "unknown", f"There is no criterion {criterion}.")
    limit = max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise invalid("file", "required", "Choose a file to upload.")
    if len(data) > limit:
        raise invalid("file", "too_large", f"A file may hold at most {limit} bytes.")
    kind = next((k for k, magic in SIGNATURES.items() if data.startswith(magic)), None)
    if kind is None:
        raise invalid("file", "wrong_type", "Only PDF, JPEG and PNG files are accepted.")
    count = db.session.scalar(select(func.count()).select_from(EvidenceFile).where(
        EvidenceFile.nomination_id == n.id, EvidenceFile.criterion == criterion))
    if count >= MAX_FILES_PER_CRITERION:
        raise invalid("file", "too_many", f"At most {MAX_FILES_PER_CRITERION} files per criterion.")
    token = secrets.token_hex(16)
    # Cleaned once here, and again when sent (rows stored before this rule may hold anything).
    name = safe_filename(filename, kind, fallback=f"minh-chung-{criterion}")
    record = EvidenceFile(nomination_id=n.id, token=token, criterion=criterion, name=name,
                          size=len(data), kind=kind, sha256=hashlib.sha256(data).hexdigest(),
                          uploaded_by_id=actor.id, uploaded_at=clock.now())
    path = path_of(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        db.session.add(record)
        db.session.commit()
    except BaseException:
        path.unlink(missing_ok=True)  # no row, no file
        raise
    return record


def slots(rules) -> list[str]:
    """Where a file may go: a criterion of the version, or one of the documents it declares."""
    return [c.code for c in rules.criteria] + [d.code for d in rules.documents]


def documents(n) -> dict:
    """The documents the nomination's rule version declares, by slot code (Tờ trình …)."""
    return {d.code: d for d in workflow(n.title_code).rules(n).documents}


def missing_documents(n, rules) -> list[Reason]:
    """The required documents of the version that the dossier does not carry yet."""
    required = [d.code for d in rules.documents if d.required]
    if not required:
        return []
    present = set(db.session.scalars(select(EvidenceFile.criterion).where(
        EvidenceFile.nomination_id == n.id, EvidenceFile.criterion.in_(required))))
    return [Reason(f"documents.{code}", "missing",
                   f"The dossier needs the document {code} ({d.name.vi}).", {})
            for code, d in ((d.code, d) for d in rules.documents if d.required)
            if code not in present]


def get(actor: User, nomination_id: int, token: str) -> tuple[Path, EvidenceFile]:
    """The file's path and record, for anyone who may see the nomination."""
    nominations.get(actor, nomination_id)
    record = None
    if isinstance(token, str) and TOKEN.match(token):
        record = db.session.scalar(select(EvidenceFile).where(
            EvidenceFile.nomination_id == nomination_id, EvidenceFile.token == token))
    if record is None or not path_of(record).is_file():
        raise NotFound("No such file.")
    return path_of(record), record


@writes
def remove(actor: User, nomination_id: int, token: str) -> None:
    _lock_editable(actor, nomination_id)
    record = None
    if isinstance(token, str) and TOKEN.match(token):
        record = db.session.scalar(select(EvidenceFile).where(
            EvidenceFile.nomination_id == nomination_id, EvidenceFile.token == token))
    if record is None:
        raise NotFound("No such file.")
    path = path_of(record)
    db.session.delete(record)
    db.session.commit()
    path.unlink(missing_ok=True)  # after the commit: a failed commit keeps both


def discard_all(nomination) -> list[Path]:
    """Delete the rows of every file of a nomination being deleted, inside the caller's
    transaction; the paths returned are for the caller to unlink after its commit."""
    records = list(db.session.scalars(_files(nomination.id)))
    paths = [path_of(r) for r in records]
    for r in records:
        db.session.delete(r)
    return paths


def unlink_all(paths: list[Path]) -> None:
    """Remove files whose rows a committed transaction deleted (and their emptied folder)."""
    for path in paths:
        path.unlink(missing_ok=True)
    for folder in {p.parent for p in paths}:
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty or already gone
