"""Files and directories -> Documents. Directories are walked recursively in name order;
unreadable files become Skipped with the reason, never an exception."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from monitor.parse import FORMATS
from monitor.records import Document, Skipped

MAX_FILE_BYTES = 50 * 1024 * 1024


def _read(path: Path) -> Document | Skipped:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Skipped(str(path), f"too large ({size:,} bytes; the cap is {MAX_FILE_BYTES:,})")
        return Document(name=str(path), data=path.read_bytes())
    except OSError as e:
        return Skipped(str(path), f"unreadable ({e.strerror or e})")


def iter_documents(paths: list[str | Path]) -> Iterator[Document | Skipped]:
    """Every file under `paths`, in name order. Hidden files and folders are passed over; a
    file of an unknown type inside a folder is reported as skipped; a file named explicitly
    is always tried (its content decides its format)."""
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    fp = Path(root, f)
                    if f.startswith("."):
                        continue
                    if fp.suffix.lower() not in FORMATS:
                        yield Skipped(str(fp), f"unsupported file type ({fp.suffix or 'no file ending'})")
                        continue
                    yield _read(fp)
        elif p.exists():
            yield _read(p)
        else:
            yield Skipped(str(p), "no such file or directory")
