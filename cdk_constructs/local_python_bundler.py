"""Build a Python Lambda bundle for ARM64 on this machine: pip with wheels only, no Docker.

CDK asks an asset's ``local`` bundler first and falls back to Docker when it returns False.
This bundler never returns False: it either produces the bundle or raises
:class:`BundlingError` with the failing step, so ``cdk synth`` never reaches for Docker.

The asset hash is computed up front from the bundle's inputs (:meth:`PythonBundle.fingerprint`):
the source packages, the locked requirements and the extra files, plus the target platform.
The same inputs give the same hash on every machine, so ``cdk diff`` shows a code change
exactly when one of them changed; bundling is skipped entirely where no stack needs it
(context ``aws:cdk:bundling-stacks``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

# Lambda's Python 3.13 ARM64 runtime (Amazon Linux 2023, glibc 2.34) runs manylinux2014 wheels.
PIP_PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.13"
# Bump when the bundle layout changes, so every asset hash changes with it.
BUNDLE_FORMAT = "taskly-python-bundle/1"
# Never copied into a bundle: caches, editor and test leftovers.
EXCLUDED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", "tests", ".DS_Store"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# pip -t also installs console scripts; nothing in a function runs them.
UNUSED_INSTALL_DIRS = ("bin",)
PIP_TIMEOUT_SECONDS = 600
# CDK requires an image even for local bundling; this name is never pulled (see try_bundle).
NO_DOCKER_IMAGE = "taskly/local-bundling-only"


class BundlingError(RuntimeError):
    """A bundle could not be built; the message names the step and what to do."""


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

    def build(self, output_dir: Path) -> None:
        """Write the bundle into ``output_dir`` (created if needed, expected empty)."""
        output_dir.mkdir(parents=True, exist_ok=True)
        if self.requirements is not None:
            _pip_install(self.requirements, output_dir)
        for name in UNUSED_INSTALL_DIRS:
            shutil.rmtree(output_dir / name, ignore_errors=True)
        for package in self.packages:
            for path in _source_files(package):
                target = output_dir / path.relative_to(package.parent)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        for bundle_path, source in self.files.items():
            target = output_dir / bundle_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def _source_files(package: Path) -> Iterator[Path]:
    """The files of ``package`` in a stable order, without caches or tests."""
    for root, dirs, files in os.walk(package):
        dirs[:] = sorted(name for name in dirs if name not in EXCLUDED_NAMES)
        for name in sorted(files):
            if name not in EXCLUDED_NAMES and not name.endswith(EXCLUDED_SUFFIXES):
                yield Path(root) / name


def _pip_install(requirements: Path, output_dir: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
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
        # pip would byte-compile with *this* interpreter: useless .pyc files on Lambda.
        "--no-compile",
        "--target",
        str(output_dir),
        "--requirement",
        str(requirements),
    ]
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BundlingError(
            f"pip install -r {requirements.name} took longer than {PIP_TIMEOUT_SECONDS} s "
            "(is PyPI reachable?)"
        ) from error
    if result.returncode != 0:
        details = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BundlingError(
            f"pip could not install {requirements.name} for {PIP_PLATFORM} "
            f"(exit {result.returncode}): " + " | ".join(details)
        )


@jsii.implements(ILocalBundling)
class LocalPythonBundler:
    """CDK's local bundling hook for a :class:`PythonBundle`."""

    def __init__(self, bundle: PythonBundle) -> None:
        self.bundle = bundle

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        # Returning False would make CDK run Docker; raise instead so the cause is visible.
        try:
            self.bundle.build(Path(output_dir))
        except BundlingError:
            raise
        except Exception as error:
            raise BundlingError(f"local bundling into {output_dir} failed: {error}") from error
        return True


def bundled_code(*, root: Path, bundle: PythonBundle) -> lambda_.Code:
    """Lambda code for ``bundle``, staged from ``root`` and hashed from its inputs.

    ``root`` is only what CDK reports as the asset's source (and stages as-is where bundling
    is skipped); the content always comes from ``bundle``.
    """
    return lambda_.Code.from_asset(
        str(root),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=bundle.fingerprint(),
        bundling=BundlingOptions(
            image=DockerImage.from_registry(NO_DOCKER_IMAGE),
            local=LocalPythonBundler(bundle),
        ),
    )
