"""Builds the rollback function's real asset (pip from the registry, no Docker) and inspects it."""

from __future__ import annotations

from pathlib import Path

from cdk_constructs.bundle_cache import BundleCache, unzip
from cdk_constructs.cutover_rollback import ROLLBACK_LOCK, ROLLBACK_PACKAGE
from cdk_constructs.local_python_bundler import PythonBundle

ELF_MACHINE_AARCH64 = 183


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", path
    return int.from_bytes(header[18:20], "little")


def test_local_bundle_holds_the_package_and_aarch64_awscrt(tmp_path: Path) -> None:
    output = tmp_path / "asset"
    bundle = PythonBundle(packages=(ROLLBACK_PACKAGE,), requirements=ROLLBACK_LOCK)
    # The zip synth stages, unpacked (built through the repository's bundle cache, as synth does)
    archive, _ = bundle.archive(BundleCache())
    unzip(archive, output)

    package = output / "cutover_rollback"
    assert sorted(p.name for p in package.iterdir()) == [
        "__init__.py",
        "handler.py",
        "weight_store.py",
    ]
    shared_objects = list(output.glob("**/*.so"))
    assert any("awscrt" in p.name for p in shared_objects), "SigV4A needs awscrt"
    assert {elf_machine(p) for p in shared_objects} == {ELF_MACHINE_AARCH64}
    assert (output / "boto3").is_dir()
    assert (output / "aws_lambda_powertools").is_dir()
    assert not list(output.glob("**/__pycache__")), "bytecode for this machine's Python"
    assert not (output / "bin").exists()
    assert not list(output.glob("**/tests/edge/**"))

    print(f"\nrollback function bundle: {archive.stat().st_size / 1_000_000:.1f} MB zipped")
