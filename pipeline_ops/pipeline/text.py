"""Text that came from a workbook is untrusted: control characters never reach a terminal.

calamine decodes `_x001B_`-style escapes into real control characters, so a cell can carry
an ESC sequence that recolours, clears or retitles the operator's terminal when a message
quotes it. Extract strips them from typed values (see typing.py, `CONTROL_CLASS`); whatever
still carries them (a `*_raw` value, a sheet name) is escaped here on its way out.
No Django here: the reader's jailed child (workbook/jail_child.py) imports this module.
"""

from __future__ import annotations

import re

# Every C0 control but tab and newline, DEL and the C1 controls (ESC's 8-bit twin is \x9b).
CONTROL_CLASS = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_CLASS}]")


def printable(text: str) -> str:
    """`\\x1b` for a real ESC: the operator sees that something was there, the terminal obeys
    nothing."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def without_controls(text: str) -> str:
    return _CONTROL.sub("", text)
