"""A content-addressed cache of built Lambda bundles and of the wheels their locks pin.

Two kinds of entries under one root (``build/cache`` in the repository, outside ``cdk.out``, so
``make synth`` may delete ``cdk.out`` without losing them):

- ``bundles/<key>/``: a finished bundle as the zip Lambda receives (``bundle.zip``, written
  deterministically: sorted entries, fixed dates and modes) and its ``manifest.json`` (the zip's
  size and SHA-256, and how many files it holds). ``key`` is a hash over everything that
  determines the content (see ``PythonBundle.cache_key``), so an entry is never updated in
  place, only added or dropped. ``cdk synth`` stages that one file as the function's asset:
  nothing is unpacked or copied file by file, and ``cdk deploy`` uploads it as it is.
- ``wheels/<key>/``: the wheels of one lock file for one platform, as ``pip download`` left
  them; ``key`` hashes the lock's bytes and the platform. A bundle whose runtime code changed
  installs from here with ``pip --no-index``: no network at all.

Every entry is written into a temporary sibling directory and renamed into place, so a reader
sees a complete entry or none. A bundle's zip is checked against its manifest before it is
handed out; a mismatch (edited, truncated or missing) drops the entry and the bundle is
rebuilt. A damaged wheel fails pip's ``--require-hashes`` check: the wheel set is dropped and
downloaded once more. Least recently used entries beyond a small budget are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

DEFAULT_CACHE_ROOT = Path(__file__).resolve().parents[1] / "build" / "cache"
MANIFEST = "manifest.json"
ARCHIVE = "bundle.zip"
# Lambda reads the files; the mode only has to let the runtime's user read (and run) them.
FILE_MODE = 0o644
EXECUTABLE_MODE = 0o755
# Any fixed date: the zip's bytes then depend only on the files (zip cannot store 1970).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# zlib's default: level 9 made the tasks zip 0.4 % smaller for 2.5 times the CPU (2.2 s).
COMPRESS_LEVEL = 6
# Enough for every bundle of the app in a few recent states of the source tree (~20-40 MiB
# each); older entries are rebuilt from the wheel cache in seconds when needed again.
MAX_BUNDLES = 16
MAX_WHEEL_SETS = 6
# A temporary directory this old belongs to a build that died; anything younger may be live.
STALE_TEMPORARY_SECONDS = 3600
TEMPORARY_PREFIX = ".tmp-"
CHUNK = 1024 * 1024


class BundleCache:
    """The cache under ``root``; every method is safe to call from concurrent processes."""

    def __init__(self, root: Path = DEFAULT_CACHE_ROOT) -> None:
        self.root = root

    # -- bundles ---------------------------------------------------------------------------

    def archive(self, key: str) -> Path | None:
        """The verified zip of bundle ``key``; None if absent or damaged (then dropped)."""
        entry = self._bundles / key
        try:
            manifest = json.loads((entry / MANIFEST).read_text())
            if manifest["key"] != key:
                raise ValueError("the manifest names another entry")
            size, digest = _size_and_digest(entry / ARCHIVE)
            if (size, digest) != (manifest["size"], manifest["sha256"]):
                raise ValueError(f"{ARCHIVE} differs from the manifest")
        except (OSError, ValueError, KeyError, TypeError) as problem:
            if entry.exists():
                self._drop(entry, reason=str(problem) or type(problem).__name__)
            return None
        # The manifest's age is the entry's last use: eviction keeps the recently used ones.
        with suppress(OSError):
            os.utime(entry / MANIFEST)
        return entry / ARCHIVE

    def store(self, key: str, bundle_dir: Path) -> Path:
        """Zip ``bundle_dir`` as the entry ``key`` (kept if a complete one exists); its zip."""
        with self._temporary(self._bundles) as staging:
            files = zip_directory(bundle_dir, staging / ARCHIVE)
            size, digest = _size_and_digest(staging / ARCHIVE)
            manifest = {"key": key, "size": size, "sha256": digest, "files": files}
            (staging / MANIFEST).write_text(json.dumps(manifest))
            self._publish(staging, self._bundles / key)
        self._evict(self._bundles, MAX_BUNDLES, keep_also=key)
        return self._bundles / key / ARCHIVE

    # -- wheels ----------------------------------------------------------------------------

    def wheels(self, key: str, download: Callable[[Path], None]) -> Path:
        """The wheel directory ``key``, filled by ``download(directory)`` if not cached yet."""
        entry = self._wheels / key
        if not entry.is_dir():
            with self._temporary(self._wheels) as staging:
                download(staging)
                self._publish(staging, entry)
            self._evict(self._wheels, MAX_WHEEL_SETS)
        with suppress(OSError):
            os.utime(entry)
        return entry

    def drop_wheels(self, key: str) -> None:
        entry = self._wheels / key
        if entry.exists():
            self._drop(entry, reason="a wheel failed its hash check")

    # -- internals -------------------------------------------------------------------------

    @property
    def _bundles(self) -> Path:
        return self.root / "bundles"

    @property
    def _wheels(self) -> Path:
        return self.root / "wheels"

    @contextmanager
    def _temporary(self, parent: Path) -> Iterator[Path]:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX, dir=parent))
        try:
            yield staging
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _publish(self, staging: Path, entry: Path) -> None:
        """Rename ``staging`` to ``entry``; if another process got there first, keep theirs."""
        try:
            staging.rename(entry)
        except OSError:
            if not entry.is_dir():
                raise

    def _drop(self, entry: Path, *, reason: str | None = None) -> None:
        # Rename first, so no reader ever sees a half-deleted entry under its key.
        doomed = entry.with_name(f"{TEMPORARY_PREFIX}drop-{entry.name}-{os.getpid()}")
        try:
            entry.rename(doomed)
        except OSError:
            return  # another process dropped or replaced it
        shutil.rmtree(doomed, ignore_errors=True)
        if reason is not None:
            print(f"bundle cache: dropped entry {entry.name[:12]}: {reason}", file=sys.stderr)

    def _evict(self, parent: Path, keep: int, *, keep_also: str | None = None) -> None:
        now = time.time()
        entries = []
        for path in parent.iterdir():
            age_reference = path / MANIFEST if (path / MANIFEST).exists() else path
            with suppress(OSError):
                modified = age_reference.stat().st_mtime
                if path.name.startswith(TEMPORARY_PREFIX):
                    if now - modified > STALE_TEMPORARY_SECONDS:
                        shutil.rmtree(path, ignore_errors=True)
                else:
                    entries.append((modified, path))
        for _, path in sorted(entries, reverse=True)[keep:]:
            if path.name != keep_also:  # just stored: about to be staged by this synth
                self._drop(path)


def zip_directory(source: Path, archive: Path) -> int:
    """Zip the files under ``source`` deterministically; return how many were written.

    Sorted entries, one fixed date, modes reduced to readable or executable, and no directory
    entries: the same files give the same zip on every run.
    """
    count = 0
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_dir():
                continue
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = path.stat().st_mode & 0o111
            info.external_attr = (EXECUTABLE_MODE if executable else FILE_MODE) << 16
            zf.writestr(info, path.read_bytes(), compresslevel=COMPRESS_LEVEL)
            count += 1
    return count


def unzip(archive: Path, output_dir: Path) -> None:
    """Unpack ``archive`` (one of this cache's zips) into ``output_dir`` with its modes."""
    output_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = output_dir / info.filename
            if Path(info.filename).is_absolute() or ".." in Path(info.filename).parts:
                raise ValueError(f"unsafe path {info.filename!r} in {archive}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
            target.chmod((info.external_attr >> 16) & 0o777 or FILE_MODE)


def _size_and_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
