"""Bundles are built once per input: cached bundles and wheels, offline rebuilds, damage ignored.

The tests build small bundles (two tiny source packages, a one-wheel lock taken from
``lambda_src/requirements.lock``) into a cache under ``tmp_path``. That wheel is downloaded
once per module (like ``make synth``, this suite needs PyPI once); builds that must not download
run with pip pointed at an unreachable index (``http://localhost:9/``), no pip configuration
files, no find-links and no proxy. ``test_offline_pip_really_cannot_download`` proves that
environment blocks downloads. Damage to bundle entries is tested on source-only bundles, which
need no pip (each pip run costs seconds here).
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from cdk_constructs import bundle_cache
from cdk_constructs.bundle_cache import BundleCache
from cdk_constructs.local_python_bundler import BundlingError, PythonBundle
from stacks.route_table import LAMBDA_SRC
from tests.compute.conftest import go_offline


def one_wheel_lock(path: Path) -> Path:
    """A lock holding only typing-extensions (a small pure-Python wheel) as the app pins it."""
    lock = (LAMBDA_SRC / "requirements.lock").read_text()
    match = re.search(r"^typing-extensions==\S+(?: \\\n\s+--hash=\S+)+", lock, re.MULTILINE)
    assert match, "requirements.lock no longer pins typing-extensions"
    path.write_text(match.group(0) + "\n")
    return path


def source_package(root: Path, name: str) -> Path:
    package = root / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f'"""{name}."""\n')
    (package / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    return package


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    go_offline(monkeypatch)


@pytest.fixture(scope="module")
def downloaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BundleCache]:
    """The one-wheel lock and a cache holding its wheels (the one download of this module)."""
    root = tmp_path_factory.mktemp("downloaded")
    lock = one_wheel_lock(root / "requirements.lock")
    cache = BundleCache(root / "cache")
    bundle = PythonBundle(packages=(source_package(root / "src", "seed"),), requirements=lock)
    assert not bundle.build(root / "seed-bundle", cache=cache)
    return lock, cache


@pytest.fixture
def cache(tmp_path: Path, downloaded: tuple[Path, BundleCache]) -> BundleCache:
    """A fresh cache that already holds the lock's wheels but no bundle."""
    cache = BundleCache(tmp_path / "cache")
    shutil.copytree(downloaded[1].root / "wheels", cache.root / "wheels")
    return cache


@pytest.fixture
def bundles(tmp_path: Path, downloaded: tuple[Path, BundleCache]) -> dict[str, PythonBundle]:
    lock = shutil.copy(downloaded[0], tmp_path / "requirements.lock")
    return {
        name: PythonBundle(
            packages=(source_package(tmp_path / "src", name),), requirements=Path(lock)
        )
        for name in ("alpha", "beta")
    }


@pytest.fixture
def source_only(tmp_path: Path) -> PythonBundle:
    """A bundle without a lock: building it copies files, no pip."""
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    return PythonBundle(
        packages=(source_package(tmp_path / "src", "alpha"),), files={"certs/ca.pem": ca}
    )


def build(bundle: PythonBundle, cache: BundleCache, output: Path) -> tuple[bool, dict[str, bytes]]:
    from_cache = bundle.build(output, cache=cache)
    return from_cache, tree(output)


def test_offline_pip_really_cannot_download(
    bundles: dict[str, PythonBundle], tmp_path: Path, offline: None
) -> None:
    # Given an empty cache and no reachable index, When a bundle with a lock is built
    # Then pip's download fails (so the offline tests below would fail if they downloaded)
    empty = BundleCache(tmp_path / "empty")
    with pytest.raises(BundlingError, match=r"pip could not download requirements\.lock"):
        bundles["alpha"].build(tmp_path / "out", cache=empty)
    assert not any((empty.root / "bundles").glob("[!.]*"))


def test_second_build_with_nothing_changed_is_copied_from_the_cache_offline(
    bundles: dict[str, PythonBundle], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a bundle built once into an empty cache (downloading its wheel)
    cache = BundleCache(tmp_path / "cache")
    from_cache, first = build(bundles["alpha"], cache, tmp_path / "first")
    assert not from_cache
    assert "typing_extensions.py" in first and "alpha/handler.py" in first
    # When it is built again with nothing changed and no index reachable
    go_offline(monkeypatch)
    from_cache, second = build(bundles["alpha"], cache, tmp_path / "second")
    # Then it comes from the cache, byte for byte the same
    assert from_cache
    assert second == first


def test_a_changed_line_rebuilds_only_its_bundle_offline(
    bundles: dict[str, PythonBundle],
    cache: BundleCache,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given two bundles that share a lock, both built once
    _, alpha_before = build(bundles["alpha"], cache, tmp_path / "alpha-1")
    _, beta_before = build(bundles["beta"], cache, tmp_path / "beta-1")
    # When one line of alpha's source changes and both are built with no index reachable
    go_offline(monkeypatch)
    handler = bundles["alpha"].packages[0] / "handler.py"
    handler.write_text(handler.read_text().replace("return 1", "return 2"))
    alpha_cached, alpha_after = build(bundles["alpha"], cache, tmp_path / "alpha-2")
    beta_cached, beta_after = build(bundles["beta"], cache, tmp_path / "beta-2")
    # Then alpha is rebuilt from the cached wheels, with the new line; beta is reused
    assert not alpha_cached
    assert b"return 2" in alpha_after["alpha/handler.py"]
    assert alpha_after["typing_extensions.py"] == alpha_before["typing_extensions.py"]
    assert beta_cached
    assert beta_after == beta_before


def entry_of(cache: BundleCache, bundle: PythonBundle) -> Path:
    return cache.root / "bundles" / bundle.cache_key()


def flip_a_byte(entry: Path) -> None:
    archive = entry / "bundle.zip"
    content = bytearray(archive.read_bytes())
    content[len(content) // 2] ^= 0xFF
    archive.write_bytes(bytes(content))


def truncate_the_zip(entry: Path) -> None:
    archive = entry / "bundle.zip"
    archive.write_bytes(archive.read_bytes()[:50])


def delete_the_zip(entry: Path) -> None:
    (entry / "bundle.zip").unlink()


def append_to_the_zip(entry: Path) -> None:
    with (entry / "bundle.zip").open("ab") as archive:
        archive.write(b"import os\n")


def remove_the_manifest(entry: Path) -> None:
    (entry / "manifest.json").unlink()


def truncate_the_manifest(entry: Path) -> None:
    manifest = entry / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:40])


@pytest.mark.parametrize(
    "damage",
    [
        flip_a_byte,
        truncate_the_zip,
        delete_the_zip,
        append_to_the_zip,
        remove_the_manifest,
        truncate_the_manifest,
    ],
)
def test_a_damaged_or_partial_entry_is_ignored_and_rebuilt(
    source_only: PythonBundle, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    # Given a cached bundle whose entry was then damaged
    cache = BundleCache(tmp_path / "cache")
    _, good = build(source_only, cache, tmp_path / "good")
    damage(entry_of(cache, source_only))
    # When the bundle is built again
    from_cache, rebuilt = build(source_only, cache, tmp_path / "rebuilt")
    # Then the damaged entry was not used, the bundle is rebuilt correctly and cached again
    assert not from_cache
    assert rebuilt == good
    from_cache, again = build(source_only, cache, tmp_path / "again")
    assert from_cache
    assert again == good


def test_a_damaged_zip_is_never_handed_out(source_only: PythonBundle, tmp_path: Path) -> None:
    # Synth stages whatever archive() returns: a damaged zip must not reach cdk.out
    cache = BundleCache(tmp_path / "cache")
    build(source_only, cache, tmp_path / "good")
    flip_a_byte(entry_of(cache, source_only))
    assert cache.archive(source_only.cache_key()) is None
    assert not entry_of(cache, source_only).exists()


def test_a_damaged_wheel_is_downloaded_again(
    bundles: dict[str, PythonBundle], cache: BundleCache, tmp_path: Path
) -> None:
    # Given the lock's wheels in the cache, one of them damaged
    _, good = build(bundles["alpha"], cache, tmp_path / "good")
    (wheel,) = (cache.root / "wheels" / bundles["alpha"].wheel_key()).glob("*.whl")
    wheel.write_bytes(wheel.read_bytes()[:100])
    # When a bundle of that lock is built that is not cached yet
    from_cache, built = build(bundles["beta"], cache, tmp_path / "beta")
    # Then pip's hash check caught it and the wheel set was fetched again
    assert not from_cache
    assert built["typing_extensions.py"] == good["typing_extensions.py"]
    (wheel,) = (cache.root / "wheels" / bundles["alpha"].wheel_key()).glob("*.whl")
    assert len(wheel.read_bytes()) > 100


def test_an_interrupted_store_stops_with_a_clear_error_and_leaves_no_entry(
    source_only: PythonBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = BundleCache(tmp_path / "cache")
    # Given a bundle whose zip fails halfway through being written (disk full, killed)
    zip_directory = bundle_cache.zip_directory

    def failing_zip(source: Path, archive: Path) -> int:
        archive.write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("No space left on device")

    monkeypatch.setattr(bundle_cache, "zip_directory", failing_zip)
    # Then the build stops and says where and why (the zip is what synth stages)
    with pytest.raises(BundlingError, match=r"could not write the bundle into .*No space left"):
        source_only.build(tmp_path / "first", cache=cache)
    monkeypatch.setattr(bundle_cache, "zip_directory", zip_directory)
    # And the cache holds no entry under the bundle's key and no temporary leftovers
    assert not entry_of(cache, source_only).exists()
    assert [path.name for path in (cache.root / "bundles").iterdir()] == []
    # And the next build does not take the half-written bundle for a complete one
    from_cache, built = build(source_only, cache, tmp_path / "second")
    assert not from_cache
    assert set(built) == {"alpha/__init__.py", "alpha/handler.py", "certs/ca.pem"}


def test_the_cached_zip_is_deterministic(source_only: PythonBundle, tmp_path: Path) -> None:
    # Given the same bundle cached twice, in two caches, a source file touched in between
    first, _ = source_only.archive(BundleCache(tmp_path / "one"))
    os.utime(source_only.packages[0] / "handler.py", (0, 0))
    second, _ = source_only.archive(BundleCache(tmp_path / "two"))
    # Then the two zips are byte for byte the same (file dates do not leak into them)
    assert first.read_bytes() == second.read_bytes()


def test_zipped_files_are_readable_by_the_runtime_and_executables_stay_executable(
    tmp_path: Path,
) -> None:
    # Given pip's output with a private file and an executable one (a compiled extension)
    content = tmp_path / "content"
    (content / "pkg").mkdir(parents=True)
    (content / "pkg" / "module.py").write_text("")
    (content / "pkg" / "module.py").chmod(0o600)
    (content / "pkg" / "_speedups.so").write_bytes(b"\x7fELF")
    (content / "pkg" / "_speedups.so").chmod(0o700)
    # When it is zipped and unzipped again
    count = bundle_cache.zip_directory(content, tmp_path / "bundle.zip")
    bundle_cache.unzip(tmp_path / "bundle.zip", tmp_path / "out")
    # Then Lambda's user (not the file's owner) may read every file and run the executable
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
    assert count == 2
    assert modes == {"pkg/_speedups.so": 0o755, "pkg/module.py": 0o644}
    assert (tmp_path / "out" / "pkg" / "_speedups.so").stat().st_mode & 0o777 == 0o755


def test_the_cache_key_follows_the_inputs_and_the_bundler(
    bundles: dict[str, PythonBundle], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    alpha = bundles["alpha"]
    before = alpha.cache_key()
    assert alpha.cache_key() == before
    # A change to the bundler's own code (e.g. what it prunes) must not reuse old bundles
    bundler_copy = tmp_path / "bundler.py"
    bundler_copy.write_text("# another bundler\n")
    monkeypatch.setattr("cdk_constructs.local_python_bundler.BUNDLER_SOURCES", (bundler_copy,))
    assert alpha.cache_key() != before
    monkeypatch.undo()
    # Another lock means other wheels
    lock = alpha.requirements
    assert lock is not None
    wheels_before = alpha.wheel_key()
    lock.write_text(lock.read_text() + "# a comment is a different lock file\n")
    assert alpha.wheel_key() != wheels_before
    assert alpha.cache_key() != before


def test_least_recently_used_entries_beyond_the_budget_are_removed(
    cache: BundleCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bundle_cache, "MAX_BUNDLES", 2)
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.py").write_text("")
    for key in ("k1", "k2", "k3"):
        cache.store(key, content)
    kept = sorted(path.name for path in (cache.root / "bundles").iterdir())
    assert len(kept) == 2
    assert "k3" in kept
