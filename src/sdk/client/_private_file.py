"""The one way this package writes a file that holds secrets (profiles, cached tokens).

Readers never see a half-written file and nobody else can read it, even briefly: the text goes
to a temporary file created with mode 0600 beside the target, is flushed to disk, then renamed
over the target in one step.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, readable by the owner only.

    The folder is created (mode 0700) when missing. A failure leaves the old file as it was.

    Raises:
        OSError: the folder or the file cannot be written; no temporary file is left behind.
    """
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp.unlink(missing_ok=True)  # a leftover of a crash: O_EXCL then guarantees mode 0600
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)
        raise
