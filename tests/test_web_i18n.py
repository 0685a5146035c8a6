"""The pages' English catalogue: every marked string is translated and the compiled .mo is current.

Source strings (msgids) are Vietnamese, the default language; `en` is the one catalogue."""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "certify/translations/en/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")


def _extracted() -> set[str]:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue():
    with open(PO, "rb") as fh:
        return read_po(fh, locale="en")


def test_every_marked_string_has_an_english_translation():
    catalogue = _catalogue()
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue
                  if m.id and _forms(m.string) and all(_forms(m.string)) and "fuzzy" not in m.flags}
    missing = sorted(_extracted() - translated)
    assert not missing, f"untranslated (run pybabel extract/update, then translate): {missing[:10]}"


def _forms(value) -> tuple:
    """A message's id or translation as a tuple of forms (plural entries have several)."""
    return (value,) if isinstance(value, str) else tuple(value or ())


def test_placeholders_survive_translation():
    import re

    for m in _catalogue():
        if m.id and all(_forms(m.string)):
            wanted = sorted(re.findall(r"%\(\w+\)s", _forms(m.id)[0]))
            for form in _forms(m.string):
                assert sorted(re.findall(r"%\(\w+\)s", form)) == wanted, m.id


def test_compiled_catalogue_matches_the_po_file():
    with open(MO, "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for m in _catalogue():
        if not (m.id and all(_forms(m.string))):
            continue
        if isinstance(m.id, str):
            assert compiled.gettext(m.id) == m.string, f"stale .mo: run pybabel compile ({m.id!r})"
        else:
            assert (compiled.ngettext(*m.id, 1), compiled.ngettext(*m.id, 2)) == tuple(m.string), \
                f"stale .mo: run pybabel compile ({m.id[0]!r})"
