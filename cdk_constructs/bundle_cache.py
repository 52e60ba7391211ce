"""A content-addressed cache of built Lambda bundles and of the wheels their locks pin.

Two kinds of entries under one root (``build/cache`` in the repository, outside ``cdk.out``, so
``make synth`` may delete ``cdk.out`` without losing them):

- ``bundles/<key>/``: a finished bundle (``content/``) and its ``manifest.json`` (every file's
  size, mode and SHA-256). ``key`` is a hash over everything that determines the content (see
  ``PythonBundle.cache_key``), so an entry is never updated in place, only added or dropped.
- ``wheels/<key>/``: the wheels of one lock file for one platform, as ``pip download`` left
  them; ``key`` hashes the lock's bytes and the platform. A bundle whose runtime code changed
  installs from here with ``pip --no-index``: no network at all.

Every entry is written into a temporary sibling directory and renamed into place, so a reader
sees a complete entry or none. A bundle entry is verified against its manifest while it is
copied out; a mismatch (a file edited, truncated or missing) drops the entry and the bundle is
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

DEFAULT_CACHE_ROOT = Path(__file__).resolve().parents[1] / "build" / "cache"
MANIFEST = "manifest.json"
CONTENT = "content"
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

    def restore(self, key: str, output_dir: Path) -> bool:
        """Copy the bundle ``key`` into ``output_dir``; False if absent or damaged.

        On False, ``output_dir`` holds nothing from the cache (a damaged entry is dropped).
        """
        entry = self._bundles / key
        output_dir.mkdir(parents=True, exist_ok=True)
        present = {path.name for path in output_dir.iterdir()}
        try:
            manifest = json.loads((entry / MANIFEST).read_text())
            if manifest["key"] != key:
                raise ValueError("the manifest names another entry")
            files: dict[str, dict[str, int | str]] = manifest["files"]
            for relative, expected in sorted(files.items()):
                if Path(relative).is_absolute() or ".." in Path(relative).parts:
                    raise ValueError(f"unsafe path {relative!r}")
                target = output_dir / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                size, digest = _copy_verified(entry / CONTENT / relative, target)
                if (size, digest) != (expected["size"], expected["sha256"]):
                    raise ValueError(f"{relative} differs from the manifest")
                target.chmod(int(expected["mode"]))
            on_disk = sum(1 for path in (entry / CONTENT).rglob("*") if not path.is_dir())
            if on_disk != len(files):
                raise ValueError("files that the manifest does not list")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as problem:
            # Leave nothing behind: pip -t skips a package whose folder already exists.
            for path in output_dir.iterdir():
                if path.name not in present:
                    _remove(path)
            if entry.exists():
                self._drop(entry, reason=str(problem) or type(problem).__name__)
            return False
        # The manifest's age is the entry's last use: eviction keeps the recently used ones.
        with suppress(OSError):
            os.utime(entry / MANIFEST)
        return True

    def store(self, key: str, bundle_dir: Path) -> None:
        """Add ``bundle_dir`` as the entry ``key`` (a no-op if a complete one exists)."""
        files: dict[str, dict[str, int | str]] = {}
        with self._temporary(self._bundles) as staging:
            for source in sorted(bundle_dir.rglob("*")):
                if source.is_dir():
                    continue
                relative = source.relative_to(bundle_dir).as_posix()
                target = staging / CONTENT / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                size, digest = _copy_verified(source, target)
                mode = source.stat().st_mode & 0o777
                files[relative] = {"size": size, "mode": mode, "sha256": digest}
            (staging / MANIFEST).write_text(json.dumps({"key": key, "files": files}))
            self._publish(staging, self._bundles / key)
        self._evict(self._bundles, MAX_BUNDLES)

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

    def _evict(self, parent: Path, keep: int) -> None:
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
            self._drop(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _copy_verified(source: Path, target: Path) -> tuple[int, str]:
    """Copy ``source`` to ``target``; return the size and SHA-256 of what was copied."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
