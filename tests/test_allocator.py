"""The allocator tuning applies on glibc Linux and is a no-op elsewhere."""

from __future__ import annotations

import platform
import sys

from alpsim.allocator import keep_heap


def test_keep_heap_applies_on_glibc_and_is_idempotent():
    applied = keep_heap()
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert applied is glibc
    assert keep_heap() is applied
