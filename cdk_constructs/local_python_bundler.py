"""Build a Python Lambda bundle for ARM64 on this machine: pip with wheels only, no Docker.

The bundle is built in Python, before CDK sees it, and handed to CDK as a finished zip: CDK's
own bundling (which would fall back to Docker) is never asked for. A failing step raises
:class:`BundlingError` naming the step and what to do.

The asset hash is computed up front from the bundle's inputs (:meth:`PythonBundle.fingerprint`):
the source packages, the locked requirements and the extra files, plus the target platform.
The same inputs give the same hash on every machine, so ``cdk diff`` shows a code change
exactly when one of them changed; bundling is skipped entirely where no stack needs it
(context ``aws:cdk:bundling-stacks``), and the asset then gets a different hash
(:func:`unbundled_asset_hash`): its content is the raw source, not the bundle.

Each bundle is built once per input (:mod:`cdk_constructs.bundle_cache`): a bundle whose
inputs, bundler and pip are unchanged is the zip already in ``build/cache`` (checked against
its manifest), which CDK stages as one file; pip installs from a wheel cache keyed by the lock
file's hash (``--no-index``), so a changed runtime file needs no download and a second synth
no network.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import (
    AssetHashType,
    CfnResource,
    Stack,
)
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk_constructs.bundle_cache import BundleCache, unzip

# Lambda's Python 3.13 ARM64 runtime (Amazon Linux 2023, glibc 2.34) runs manylinux2014 wheels.
PIP_PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.13"
# Bump when the bundle layout changes, so every asset hash changes with it.
BUNDLE_FORMAT = "taskly-python-bundle/2"
# Never copied into a bundle: caches, editor and test leftovers.
EXCLUDED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", "tests", ".DS_Store"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# pip -t also installs console scripts; nothing in a function runs them.
UNUSED_INSTALL_DIRS = ("bin",)
# What the runtime never reads from installed packages: type stubs and markers, C sources
# shipped next to compiled extensions, caches, test folders, and pip's install records.
# importlib.metadata (pydantic, pymongo, dnspython and wrapt call it) reads METADATA and
# entry_points.txt, which stay, as do the license files; RECORD is only read by pip and by
# importlib.metadata.files(), which nothing in a bundle calls.
PRUNED_DIRS = frozenset({"__pycache__", "tests"})
PRUNED_SUFFIXES = (".pyc", ".pyo", ".pyi", ".c", ".h", ".pyx", ".pxd")
PRUNED_FILES = frozenset({"py.typed"})
PRUNED_DIST_INFO_FILES = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})
STUB_PACKAGE_SUFFIX = "-stubs"
# Package data no function uses: Powertools' Swagger UI assets (0.4 MiB zipped), served only by
# ``enable_swagger(offline=True)``; tests/compute/test_bundle_pruning.py fails if runtime code
# starts calling enable_swagger.
UNUSED_PACKAGE_DATA = (
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.js",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/*.css",
)
# The bundler's own code is part of every cache key: a change to it rebuilds every bundle.
BUNDLER_SOURCES = (Path(__file__), Path(__file__).with_name("bundle_cache.py"))
PIP_TIMEOUT_SECONDS = 600


class BundlingError(RuntimeError):
    """A bundle could not be built; the message names the step and what to do.

    Bundles are built while CDK binds a function's code, inside a jsii callback: the error
    reaches the app as a plain RuntimeError carrying only this message, so the message starts
    with :data:`BUNDLING_FAILED`, which the app recognises.
    """

    def __init__(self, message: str) -> None:
        super().__init__(f"{BUNDLING_FAILED}{message}")


BUNDLING_FAILED = "bundling failed: "


@dataclass(frozen=True, kw_only=True)
class PythonBundle:
    """What goes into one function's bundle.

    ``packages``: source package directories, each copied to the bundle root under its name.
    ``requirements``: a fully pinned lock file with hashes (``make lock`` writes them); every
    package is installed with ``--no-deps --require-hashes``, so the bundle holds exactly the
    locked versions. ``None`` bundles the sources only (boto3 comes from the runtime).
    ``files``: extra files, bundle path -> source path (e.g. the DocumentDB CA bundle).
    """

    packages: tuple[Path, ...]
    requirements: Path | None = None
    files: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for package in self.packages:
            if not (package / "__init__.py").is_file():
                raise BundlingError(f"bundle source {package} is not a Python package directory")
        if self.requirements is not None and not self.requirements.is_file():
            raise BundlingError(
                f"requirements lock {self.requirements} is missing; run `make lock`"
            )
        for bundle_path, source in self.files.items():
            if Path(bundle_path).is_absolute() or ".." in Path(bundle_path).parts:
                raise BundlingError(f"bundle path {bundle_path!r} must be relative, inside it")
            if not source.is_file():
                raise BundlingError(
                    f"{source} is missing but the bundle needs it at {bundle_path}; "
                    "it is part of the repository, restore it before synthesizing"
                )

    def fingerprint(self) -> str:
        """SHA-256 over everything that determines the bundle's content."""
        digest = hashlib.sha256()

        def add(label: str, data: bytes) -> None:
            # Length-prefixed, so moving bytes between two fields changes the hash.
            for part in (label.encode(), data):
                digest.update(len(part).to_bytes(8, "big"))
                digest.update(part)

        add("format", f"{BUNDLE_FORMAT} {PIP_PLATFORM} cp{PYTHON_VERSION}".encode())
        for package in self.packages:
            for path in _source_files(package):
                relative = path.relative_to(package.parent).as_posix()
                add(f"source:{relative}", path.read_bytes())
        if self.requirements is not None:
            add("requirements", self.requirements.read_bytes())
        for bundle_path, source in sorted(self.files.items()):
            add(f"file:{bundle_path}", source.read_bytes())
        return digest.hexdigest()

    def cache_key(self) -> str:
        """The fingerprint plus what else shapes the output: the bundler's code and pip."""
        digest = hashlib.sha256(self.fingerprint().encode())
        for source in BUNDLER_SOURCES:
            digest.update(hashlib.sha256(source.read_bytes()).digest())
        digest.update(f"pip {importlib.metadata.version('pip')}".encode())
        return digest.hexdigest()

    def wheel_key(self) -> str:
        """Names the wheel set of the lock file for the target platform."""
        if self.requirements is None:
            raise BundlingError("a bundle without a lock file has no wheels")
        digest = hashlib.sha256(f"{PIP_PLATFORM} cp{PYTHON_VERSION}\n".encode())
        digest.update(self.requirements.read_bytes())
        return digest.hexdigest()

    def build(self, output_dir: Path, *, cache: BundleCache | None = None) -> bool:
        """Write the bundle's files into ``output_dir`` (created if needed, expected empty).

        With a ``cache``, the files come from the bundle's cached zip (built first if needed,
        see :meth:`archive`); returns True when that zip was in the cache already. Without
        one, pip installs from the package index.
        """
        if cache is None:
            self._build_into(output_dir, cache=None)
            return False
        archive, cached = self.archive(cache)
        unzip(archive, output_dir)
        return cached

    def archive(self, cache: BundleCache) -> tuple[Path, bool]:
        """The bundle as the zip Lambda receives, from ``cache`` or built into it.

        Returns the zip's path (inside the cache) and whether it was cached already. A changed
        bundle installs from the cached wheels of its lock file: no network once they are there.
        """
        key = self.cache_key()
        cached = cache.archive(key)
        if cached is not None:
            return cached, True
        with tempfile.TemporaryDirectory(prefix="taskly-bundle-") as scratch:
            content = Path(scratch) / "content"
            self._build_into(content, cache=cache)
            try:
                return cache.store(key, content), False
            except OSError as error:
                raise BundlingError(
                    f"could not write the bundle into {cache.root}: {error}; "
                    "free some disk space or remove the folder, then synthesize again"
                ) from error

    def _build_into(self, output_dir: Path, *, cache: BundleCache | None) -> None:
        output_dir.mkdir(parents=True, exist_ok=True)
        if self.requirements is not None:
            if cache is None:
                _pip_install(self.requirements, output_dir)
            else:
                self._install_from_wheel_cache(self.requirements, output_dir, cache)
        self._finish(output_dir)

    def _install_from_wheel_cache(
        self, requirements: Path, output_dir: Path, cache: BundleCache
    ) -> None:
        key = self.wheel_key()
        wheels = cache.wheels(key, lambda directory: _pip_download(requirements, directory))
        try:
            _pip_install(requirements, output_dir, wheels=wheels)
        except BundlingError:
            # A damaged or incomplete wheel set fails --require-hashes: fetch it once more.
            cache.drop_wheels(key)
            _empty(output_dir)
            wheels = cache.wheels(key, lambda directory: _pip_download(requirements, directory))
            _pip_install(requirements, output_dir, wheels=wheels)

    def _finish(self, output_dir: Path) -> None:
        """Prune what the runtime never reads, then add the sources and the extra files."""
        for name in UNUSED_INSTALL_DIRS:
            shutil.rmtree(output_dir / name, ignore_errors=True)
        prune_installed(output_dir)
        for package in self.packages:
            for path in _source_files(package):
                target = output_dir / path.relative_to(package.parent)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        for bundle_path, source in self.files.items():
            target = output_dir / bundle_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def prune_installed(root: Path) -> None:
    """Remove from pip's output under ``root`` what no function reads at run time."""
    for path in sorted(root.iterdir()):
        if path.is_dir() and path.name.endswith(STUB_PACKAGE_SUFFIX):
            shutil.rmtree(path)
    for pattern in UNUSED_PACKAGE_DATA:
        for path in root.glob(pattern):
            path.unlink()
    for directory, dirs, files in os.walk(root):
        here = Path(directory)
        for name in [name for name in dirs if name in PRUNED_DIRS]:
            shutil.rmtree(here / name)
            dirs.remove(name)
        in_dist_info = here.name.endswith(".dist-info")
        for name in files:
            if (
                name in PRUNED_FILES
                or name.endswith(PRUNED_SUFFIXES)
                or (in_dist_info and name in PRUNED_DIST_INFO_FILES)
            ):
                (here / name).unlink()
    # Folders that held only stubs (pydantic_core/_pydantic_core/) hold no code; the cache
    # records files only, so a bundle is the same whether built or copied from the cache.
    for directory, _, _ in sorted(os.walk(root), key=lambda entry: -len(entry[0])):
        if directory != str(root) and not os.listdir(directory):
            os.rmdir(directory)


def _empty(directory: Path) -> None:
    for path in directory.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _source_files(package: Path) -> Iterator[Path]:
    """The files of ``package`` in a stable order, without caches or tests."""
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(name for name in dirs if name not in EXCLUDED_NAMES)
        for name in sorted(files):
            if name not in EXCLUDED_NAMES and not name.endswith(EXCLUDED_SUFFIXES):
                yield Path(root) / name


def _pip_platform_options() -> list[str]:
    return [
        "--disable-pip-version-check",
        "--no-input",
        "--no-deps",
        "--require-hashes",
        "--only-binary=:all:",
        "--platform",
        PIP_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
    ]


def _pip_download(requirements: Path, wheel_dir: Path) -> None:
    _run_pip(
        ["download", "--quiet", *_pip_platform_options(), "--dest", str(wheel_dir)],
        requirements,
        action="download",
    )


def _pip_install(requirements: Path, output_dir: Path, *, wheels: Path | None = None) -> None:
    # Offline when the wheels are at hand: only the cached, hash-checked files are candidates.
    source = ["--no-index", "--find-links", str(wheels)] if wheels is not None else []
    _run_pip(
        [
            "install",
            "--quiet",
            *_pip_platform_options(),
            *source,
            # pip would byte-compile with *this* interpreter: useless .pyc files on Lambda.
            "--no-compile",
            "--target",
            str(output_dir),
        ],
        requirements,
        action="install",
    )


def _run_pip(arguments: list[str], requirements: Path, *, action: str) -> None:
    command = [sys.executable, "-m", "pip", *arguments, "--requirement", str(requirements)]
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BundlingError(
            f"pip {action} -r {requirements.name} took longer than {PIP_TIMEOUT_SECONDS} s "
            "(is PyPI reachable?)"
        ) from error
    if result.returncode != 0:
        details = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BundlingError(
            f"pip could not {action} {requirements.name} for {PIP_PLATFORM} "
            f"(exit {result.returncode}): " + " | ".join(details)
        )


def bundled_code(
    *, root: Path, bundle: PythonBundle, cache: BundleCache | None = None
) -> lambda_.Code:
    """Lambda code for ``bundle``, staged from ``root`` and hashed from its inputs.

    ``root`` is only what CDK reports as the asset's source (and stages as-is where bundling
    is skipped); the content always comes from ``bundle``, through ``cache`` (default:
    ``build/cache`` in the repository).
    """
    return _BundledCode(root=root, bundle=bundle, cache=cache)


def unbundled_asset_hash(bundle: PythonBundle) -> str:
    """The asset hash of ``bundle``'s code in an assembly synthesized without bundling.

    Such an assembly (``cdk diff``/``destroy``, the tests: context ``aws:cdk:bundling-stacks``)
    stages ``root`` as it is. Under the real bundle's hash, a deploy from it would upload that
    raw source to the bundle's S3 key, and CDK never uploads a key that exists again: the
    functions would run without their dependencies until an input changed. So the key differs.
    """
    return hashlib.sha256(f"unbundled source of {bundle.fingerprint()}".encode()).hexdigest()


class _BundledCode(lambda_.Code):
    """Defers the choice of asset to ``bind``, where the function's stack says whether
    bundling runs."""

    def __init__(self, *, root: Path, bundle: PythonBundle, cache: BundleCache | None) -> None:
        super().__init__()
        self._root = root
        self._bundle = bundle
        self._cache = cache
        # AssetCode binds its asset to one stack and bind_to_resource reuses it: one per stack.
        self._assets: dict[str, lambda_.AssetCode] = {}

    def _asset(self, scope: Construct) -> lambda_.AssetCode:
        stack = Stack.of(scope)
        key = stack.node.path
        if key not in self._assets:
            if stack.bundling_required:
                # The cached zip itself is the asset: CDK copies one file into cdk.out
                # instead of thousands, and `cdk deploy` uploads it without re-zipping.
                archive, cached = self._bundle.archive(self._cache or BundleCache())
                if not cached:
                    # Only a cache miss speaks: a warm synth stays quiet.
                    print(
                        f"Bundled {scope.node.path} ({archive.stat().st_size:,} bytes)",
                        file=sys.stderr,
                    )
                self._assets[key] = lambda_.Code.from_asset(
                    str(archive),
                    asset_hash_type=AssetHashType.CUSTOM,
                    asset_hash=self._bundle.fingerprint(),
                )
            else:
                self._assets[key] = lambda_.Code.from_asset(
                    str(self._root),
                    asset_hash_type=AssetHashType.CUSTOM,
                    asset_hash=unbundled_asset_hash(self._bundle),
                )
        return self._assets[key]

    def bind(self, scope: Construct) -> lambda_.CodeConfig:
        return self._asset(scope).bind(scope)

    def bind_to_resource(
        self, resource: CfnResource, *, resource_property: str | None = None
    ) -> None:
        self._asset(resource).bind_to_resource(resource, resource_property=resource_property)
