"""Does a zip entry inflate to the size the zip declares for it?

The budget's size limits read the sizes a zip declares; a hand-made file can declare 200
bytes for a part that inflates to 1 GiB, and calamine reads the shared strings whole when
it opens the workbook. So every part but the worksheets is inflated here first, at most
one byte past its declared size: an honest part costs its own (small) size, a lie is caught
after `declared + 1` bytes. Worksheets are streamed by calamine (their size lies meet the
reader's memory limit instead), and they are most of a workbook's bytes.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

CHUNK = 1 << 20
LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature … name length, extra length


def impossibly_small(entry: zipfile.ZipInfo) -> bool:
    """Declared smaller than its own compressed data: deflate never grows data by more than
    a few bytes a block, so this size is a lie (or damage). Free: no inflating, so it is
    asked of the worksheets too, which are not inflated here."""
    return entry.compress_size > entry.file_size + entry.file_size // 100 + 1024


def inflates_beyond(path: Path, entry: zipfile.ZipInfo) -> bool:
    """True when the entry's data inflates to more than `entry.file_size` bytes."""
    if entry.compress_type == zipfile.ZIP_STORED:
        return entry.compress_size > entry.file_size
    if entry.compress_type != zipfile.ZIP_DEFLATED or entry.flag_bits & 0x1:
        return False  # calamine refuses what it cannot inflate, in its own words
    with open(path, "rb") as handle:
        handle.seek(entry.header_offset)
        signature, name_length, extra_length = LOCAL_HEADER.unpack(handle.read(30))
        if signature != b"PK\x03\x04":
            return False  # a damaged header: zipfile and calamine name it
        handle.seek(name_length + extra_length, 1)
        return _inflates_beyond(handle, entry.compress_size, entry.file_size)


def _inflates_beyond(handle, compressed: int, declared: int) -> bool:
    inflater = zlib.decompressobj(-15)
    produced = 0
    while compressed > 0 and not inflater.eof:
        chunk = handle.read(min(CHUNK, compressed))
        if not chunk:
            break
        compressed -= len(chunk)
        while chunk and produced <= declared:
            produced += len(inflater.decompress(chunk, declared + 1 - produced))
            chunk = inflater.unconsumed_tail
        if produced > declared:
            return True
    return False
