"""Evidence files (minh chứng) per indicator of a nomination, kept under instance/evidence/ —
outside the web root — and handed out only to those who may see the nomination.

Each file is stored as <random token>.<ext> with a <token>.json beside it (original name, indicator,
size, type, time): no schema change, and nothing the uploader names reaches the file system.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from .. import clock
from ..errors import Forbidden, NotFound, TransitionNotAllowed, invalid
from ..models import User
from ..workflow import workflow
from . import nominations, scope

# What a phone camera or a scanner produces; recognised by their first bytes, not their names.
KINDS = {
    "pdf": (b"%PDF-", "application/pdf"),
    "jpg": (b"\xff\xd8\xff", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png"),
}
MAX_BYTES = 5 * 1024 * 1024
MAX_FILES_PER_CRITERION = 5
TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class EvidenceFile:
    token: str
    criterion: str
    name: str
    size: int
    kind: str
    uploaded_at: str
    uploaded_by: int | None = None

    @property
    def mimetype(self) -> str:
        return KINDS[self.kind][1]


def max_bytes() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_BYTES", MAX_BYTES))


def root() -> Path:
    """instance/evidence/ unless CERTIFY_EVIDENCE_FOLDER says otherwise."""
    configured = current_app.config.get("EVIDENCE_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "evidence"


def _folder(nomination_id: int) -> Path:
    return root() / str(int(nomination_id))


def _read(meta: Path) -> EvidenceFile | None:
    try:
        return EvidenceFile(**json.loads(meta.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def list_files(actor: User, nomination_id: int) -> list[EvidenceFile]:
    """The nomination's files in upload order (404 outside the actor's scope)."""
    nominations.get(actor, nomination_id)
    folder = _folder(nomination_id)
    if not folder.is_dir():
        return []
    found = [f for f in (_read(m) for m in folder.glob("*.json")) if f is not None]
    return sorted(found, key=lambda f: (f.uploaded_at, f.token))


def _editable(actor: User, nomination_id: int):
    n = nominations.get(actor, nomination_id)
    if not scope.owns(actor, n):
        raise Forbidden("Only the applicant adds or removes evidence.")
    if n.state not in nominations.EDITABLE_STATES:
        raise TransitionNotAllowed(f"Evidence cannot change while the nomination is {n.state}.",
                                   {"state": n.state})
    return n


def add(actor: User, nomination_id: int, *, criterion: str, filename: str,
        stream: BinaryIO) -> EvidenceFile:
    n = _editable(actor, nomination_id)
    codes = [c.code for c in workflow(n.title_code).spec.criteria]
    if criterion not in codes:
        raise invalid("criterion", "unknown", f"There is no criterion {criterion}.")
    limit = max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise invalid("file", "required", "Choose a file to upload.")
    if len(data) > limit:
        raise invalid("file", "too_large", f"A file may hold at most {limit} bytes.")
    kind = next((k for k, (magic, _mime) in KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        raise invalid("file", "wrong_type", "Only PDF, JPEG and PNG files are accepted.")
    existing = [f for f in list_files(actor, nomination_id) if f.criterion == criterion]
    if len(existing) >= MAX_FILES_PER_CRITERION:
        raise invalid("file", "too_many",
                      f"At most {MAX_FILES_PER_CRITERION} files per criterion.")
    folder = _folder(nomination_id)
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:120] or f"{token}.{kind}"
    record = EvidenceFile(token=token, criterion=criterion, name=name, size=len(data), kind=kind,
                          uploaded_at=clock.now().isoformat(), uploaded_by=actor.id)
    (folder / f"{token}.{kind}").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps(asdict(record), ensure_ascii=False),
                                          encoding="utf-8")
    return record


def get(actor: User, nomination_id: int, token: str) -> tuple[Path, EvidenceFile]:
    """The file's path and record, for anyone who may see the nomination."""
    nominations.get(actor, nomination_id)
    if not isinstance(token, str) or not TOKEN.match(token):
        raise NotFound("No such file.")
    folder = _folder(nomination_id)
    record = _read(folder / f"{token}.json")
    if record is None or record.kind not in KINDS:
        raise NotFound("No such file.")
    path = folder / f"{token}.{record.kind}"
    if not path.is_file():
        raise NotFound("No such file.")
    return path, record


def remove(actor: User, nomination_id: int, token: str) -> None:
    _editable(actor, nomination_id)
    path, record = get(actor, nomination_id, token)
    path.unlink(missing_ok=True)
    (path.parent / f"{token}.json").unlink(missing_ok=True)
