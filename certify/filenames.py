"""Names of files that leave the app (evidence, certificates, exports): a safe set of characters.

A name typed by an uploader may hold line breaks (which break the Content-Disposition header),
bidi controls (which make "gpj.exe" read as "exe.jpg"), characters Windows refuses, or any length.
What is left after `safe_filename` is printable text of bounded length ending in the extension of
the stored, content-checked type. Werkzeug's send_file then writes the header itself, with an ASCII
`filename` and the UTF-8 `filename*` of RFC 5987/6266.
"""

from __future__ import annotations

import re
import unicodedata

# Characters taken out whatever their category: path separators and what Windows cannot hold.
RESERVED = re.compile(r'[/\\:*?"<>|]')
# Unicode categories taken out: controls (CR, LF, NUL...), format characters (the bidi controls
# U+202A-U+202E, U+2066-U+2069, U+200E/F, zero-width characters, BOM), line and paragraph
# separators, surrogates, unassigned code points.
REMOVED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"}
MAX_CHARACTERS = 100
# Extensions a client may have given that mean the same as one of the stored kinds; removed so
# that "anh.JPEG" is offered as "anh.jpg", not "anh.JPEG.jpg".
ALIASES = {"pdf": {"pdf"}, "jpg": {"jpg", "jpeg", "jpe", "jfif"}, "png": {"png"}}


def clean_text(value: str) -> str:
    """`value` without the characters above, composed (NFC), runs of white space as one space."""
    value = unicodedata.normalize("NFC", value or "")
    kept = "".join(" " if ch.isspace() else ch for ch in value
                   if unicodedata.category(ch) not in REMOVED_CATEGORIES or ch in "\t\n\r")
    return " ".join(RESERVED.sub("_", kept).split())


def safe_filename(name: str | None, extension: str, fallback: str = "tep") -> str:
    """The last path component of `name`, cleaned, at most MAX_CHARACTERS long, with `.extension`
    (the stored type's, never the client's) at the end; `fallback` when nothing is left."""
    base = re.split(r"[/\\]", name or "")[-1]
    stem = clean_text(base)
    head, dot, tail = stem.rpartition(".")
    if dot and tail.lower() in ALIASES.get(extension, {extension}):
        stem = head
    # No hidden files, and no trailing dots or spaces (Windows drops them, changing the name).
    stem = stem.strip(". ")
    suffix = f".{extension}" if extension else ""
    stem = stem[:MAX_CHARACTERS - len(suffix)].rstrip(". ")
    return (stem or fallback) + suffix
