"""What work over thousands of rows at once shares (imports, a decision over many dossiers)."""

from __future__ import annotations

import contextlib
import gc


@contextlib.contextmanager
def without_cyclic_gc():
    """No cyclic garbage collection while a large set is checked and written: the rows make
    millions of small objects and none of them cycles (CPython's collector would walk them again
    and again, a fifth of a decision's time over 10,000 dossiers)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
