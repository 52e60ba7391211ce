"""Bundling without Docker: the asset hash follows the inputs, and one real bundle is built.

``test_real_tasks_bundle_through_cdk`` runs pip for manylinux2014_aarch64 (it needs PyPI, like
``make synth``, unless the repository's bundle cache already holds the bundle), inspects the
zip CDK staged (what Lambda receives), then synthesizes again with no package index reachable,
as a second ``make synth`` does.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_

from cdk_constructs.bundle_cache import unzip, zip_directory
from cdk_constructs.local_python_bundler import (
    UNUSED_PACKAGE_DATA,
    BundlingError,
    PythonBundle,
    bundled_code,
    prune_installed,
)
from stacks.compute_stack import CA_BUNDLE, CA_BUNDLE_PATH, service_bundles
from stacks.route_table import LAMBDA_SRC
from tests.compute.conftest import SynthesizedStage, by_path, cdk_context, go_offline

ELF_MAGIC = b"\x7fELF"
EM_AARCH64 = 183


def make_package(root: Path) -> Path:
    package = root / "service"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A package."""\n')
    (package / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    return package


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    lock = tmp_path / "requirements.lock"
    lock.write_text("# nothing pinned\n")
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    return {"package": make_package(tmp_path / "src"), "lock": lock, "ca": ca}


def fingerprint(inputs: dict[str, Path], bundle_path: str = "certs/ca.pem") -> str:
    return PythonBundle(
        packages=(inputs["package"],),
        requirements=inputs["lock"],
        files={bundle_path: inputs["ca"]},
    ).fingerprint()


def test_fingerprint_is_stable_and_ignores_caches_and_tests(inputs: dict[str, Path]) -> None:
    before = fingerprint(inputs)
    assert fingerprint(inputs) == before
    cache = inputs["package"] / "__pycache__"
    cache.mkdir()
    (cache / "handler.cpython-311.pyc").write_bytes(b"\x00")
    (inputs["package"] / "tests").mkdir()
    (inputs["package"] / "tests" / "test_handler.py").write_text("def test(): ...\n")
    assert fingerprint(inputs) == before


def test_fingerprint_does_not_depend_on_where_the_checkout_is(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "another" / "checkout"
    shutil.copytree(inputs["package"].parent, elsewhere / "src")
    shutil.copy(inputs["lock"], elsewhere / "requirements.lock")
    shutil.copy(inputs["ca"], elsewhere / "ca.pem")
    moved = {
        "package": elsewhere / "src" / "service",
        "lock": elsewhere / "requirements.lock",
        "ca": elsewhere / "ca.pem",
    }
    assert fingerprint(moved) == fingerprint(inputs)


@pytest.mark.parametrize("changed", ["source", "new_source", "lock", "ca", "bundle_path"])
def test_fingerprint_changes_with_every_input(inputs: dict[str, Path], changed: str) -> None:
    before = fingerprint(inputs)
    bundle_path = "certs/ca.pem"
    if changed == "source":
        (inputs["package"] / "handler.py").write_text(
            "def handler(event, context):\n    return 2\n"
        )
    elif changed == "new_source":
        (inputs["package"] / "extra.py").write_text("")
    elif changed == "lock":
        inputs["lock"].write_text("pydantic==2.0.0 --hash=sha256:00\n")
    elif changed == "ca":
        inputs["ca"].write_text("-----BEGIN CERTIFICATE-----\nrotated\n")
    else:
        bundle_path = "certs/other.pem"
    assert fingerprint(inputs, bundle_path) != before


def test_missing_inputs_stop_synth_with_a_clear_error(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(BundlingError, match=r"is missing but the bundle needs it at certs/ca\.pem"):
        PythonBundle(packages=(inputs["package"],), files={"certs/ca.pem": tmp_path / "nope.pem"})
    with pytest.raises(BundlingError, match="run `make lock`"):
        PythonBundle(packages=(inputs["package"],), requirements=tmp_path / "missing.lock")
    with pytest.raises(BundlingError, match="not a Python package"):
        PythonBundle(packages=(tmp_path,))
    with pytest.raises(BundlingError, match="must be relative"):
        PythonBundle(packages=(inputs["package"],), files={"../ca.pem": inputs["ca"]})


def test_the_repository_ca_bundle_is_present() -> None:
    # The tasks bundle cannot be built without it; synth fails loudly rather than skip it.
    assert CA_BUNDLE.is_file(), f"{CA_BUNDLE} is missing"
    assert b"BEGIN CERTIFICATE" in CA_BUNDLE.read_bytes()


def code_key(stage: SynthesizedStage, construct: str) -> Any:
    _, function = by_path(stage.compute, f"{construct}/Function/Resource")
    return function["Properties"]["Code"]["S3Key"]


def test_asset_hash_is_the_same_in_every_app_and_shared_by_identical_bundles(
    stages: dict[str, SynthesizedStage],
) -> None:
    # Each stage is a separate App: the same inputs give the same asset, whatever the stage
    keys = {name: code_key(stage, "Tasks") for name, stage in stages.items()}
    assert len(set(keys.values())) == 1
    dev = stages["dev"]
    # Both database functions ship the same bundle (pymongo and the CA bundle); the worker not.
    assert code_key(dev, "Profile") == code_key(dev, "Tasks")
    assert code_key(dev, "EmailWorker") != code_key(dev, "Tasks")


def synthesize_function(outdir: Path, bundle: PythonBundle) -> Path:
    """Synthesize one function with bundling on; return its staged asset (one zip file)."""
    synthesize_function_app(outdir, bundle)
    (asset,) = outdir.glob("asset.*")
    assert asset.is_file() and asset.suffix == ".zip", asset
    return asset


def synthesize_function_app(
    outdir: Path, bundle: PythonBundle, *, skip_bundling: bool = False
) -> None:
    skip = {"aws:cdk:bundling-stacks": []} if skip_bundling else {}
    app = App(context=cdk_context(**skip), outdir=str(outdir))
    stack = Stack(app, "BundleTest")
    lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        architecture=lambda_.Architecture.ARM_64,
        handler="taskly.handlers.tasks.handler",
        code=bundled_code(root=LAMBDA_SRC, bundle=bundle),
    )
    app.synth()


def staged_code_key(outdir: Path) -> str:
    template = json.loads((outdir / "BundleTest.template.json").read_text())
    [function] = [
        resource
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
    ]
    key: str = function["Properties"]["Code"]["S3Key"]
    return key


def test_an_assembly_without_bundling_never_names_its_asset_like_the_bundle(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    """`cdk diff`/`destroy` and the tests skip bundling (``aws:cdk:bundling-stacks: []``) and
    stage the raw source directory. Under the bundle's key, a deploy from such an assembly
    would upload that source, and CDK never re-uploads a key that exists: the functions
    would keep running unbundled code until an input changed."""
    # Given a bundle that builds by copying (no pip), so bundling really runs here
    bundle = PythonBundle(packages=(inputs["package"],), files={"certs/ca.pem": inputs["ca"]})
    # When the same function is synthesized with bundling and without
    synthesize_function_app(tmp_path / "bundled", bundle)
    synthesize_function_app(tmp_path / "skipped", bundle, skip_bundling=True)
    bundled = staged_code_key(tmp_path / "bundled")
    skipped = staged_code_key(tmp_path / "skipped")
    # Then the unbundled asset gets a key of its own
    assert skipped != bundled


def test_a_failed_install_raises_instead_of_falling_back_to_docker(tmp_path: Path) -> None:
    lock = tmp_path / "broken.lock"
    lock.write_text("this is not a requirement !!\n")
    bundle = PythonBundle(packages=(LAMBDA_SRC / "taskly",), requirements=lock)
    with pytest.raises(RuntimeError, match=r"pip could not download broken\.lock") as raised:
        synthesize_function(tmp_path / "cdk.out", bundle)
    assert "docker" not in str(raised.value).lower()


def elf_machines(bundle: Path) -> dict[str, int]:
    machines = {}
    for shared_object in bundle.rglob("*.so"):
        header = shared_object.read_bytes()[:20]
        assert header[:4] == ELF_MAGIC, shared_object
        machines[shared_object.relative_to(bundle).as_posix()] = int.from_bytes(
            header[18:20], "little"
        )
    return machines


def assert_nothing_but_runtime_files(bundle: Path) -> None:
    for path in bundle.rglob("*"):
        parts = path.relative_to(bundle).parts
        assert "tests" not in parts and "__pycache__" not in parts, path
        assert path.suffix != ".pyc" and path.name != "conftest.py", path
        # Type stubs, C sources and pip's install records are never read at run time
        assert path.suffix not in {".pyi", ".c", ".h", ".pyx"}, path
        assert path.name not in {"py.typed", "RECORD", "INSTALLER"}, path
        assert not parts[0].endswith("-stubs"), path
    # importlib.metadata still answers for every installed distribution (pymongo asks it)
    distributions = list(importlib.metadata.distributions(path=[str(bundle)]))
    assert distributions
    for distribution in distributions:
        assert distribution.metadata["Name"] and distribution.version
    # boto3 and botocore come from the Lambda runtime
    for provided in ("boto3", "botocore", "s3transfer", "urllib3"):
        assert not (bundle / provided).exists(), provided


def test_real_tasks_bundle_through_cdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the tasks bundle as the compute stack defines it
    bundle = service_bundles()["tasks"]
    # When CDK synthesizes a function with it, bundling on (no Docker on this machine)
    staged = synthesize_function(tmp_path / "cdk.out", bundle)
    asset = tmp_path / "unzipped"
    unzip(staged, asset)
    # Then every shared object is an aarch64 ELF, for the compiled dependencies
    machines = elf_machines(asset)
    assert set(machines.values()) == {EM_AARCH64}
    compiled = {path.split("/")[0] for path in machines}
    assert {"pydantic_core", "pymongo"} <= compiled
    # And the runtime code, the DocumentDB CA bundle and nothing from tests are in it
    assert (asset / "taskly" / "handlers" / "tasks.py").is_file()
    assert (asset / CA_BUNDLE_PATH).read_bytes() == CA_BUNDLE.read_bytes()
    assert_nothing_but_runtime_files(asset)
    assert not (
        asset / "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.min.css"
    ).exists()
    print(f"\ntasks bundle: {staged.stat().st_size / 1024 / 1024:.2f} MiB zipped")
    # And a second synth with nothing changed needs no package index: the same zip again
    go_offline(monkeypatch)
    again = synthesize_function(tmp_path / "cdk.out.again", bundle)
    assert again.name == staged.name
    assert again.read_bytes() == staged.read_bytes()


def test_real_email_worker_bundle_has_no_documentdb_parts(tmp_path: Path) -> None:
    output = tmp_path / "email_worker"
    service_bundles()["email_worker"].build(output)
    assert set(elf_machines(output).values()) == {EM_AARCH64}
    assert (output / "taskly" / "handlers" / "email_worker.py").is_file()
    assert not (output / "certs").exists()
    assert not (output / "pymongo").exists()
    assert_nothing_but_runtime_files(output)
    zip_directory(output, tmp_path / "email_worker.zip")
    shutil.rmtree(output)
    size = (tmp_path / "email_worker.zip").stat().st_size
    print(f"\nemail_worker bundle: {size / 1024 / 1024:.2f} MiB zipped")


def test_the_profile_function_ships_the_database_bundle() -> None:
    # Preferences live in the shared database: pymongo (the docdb lock) and the CA bundle.
    assert service_bundles()["profile"] == service_bundles()["tasks"]


def pins(path: Path) -> dict[str, str]:
    """``name -> version`` of every ``name[extras]==version`` line, following ``-r`` includes."""
    found: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if line.startswith("-r "):
            found.update(pins(path.parent / line.removeprefix("-r ").strip()))
        elif "==" in line:
            name, version = line.split("==", 1)
            normalized = re.sub(r"[-_.]+", "-", name.split("[", 1)[0]).lower()
            found[normalized] = version.split()[0]
    return found


@pytest.mark.parametrize(
    ("name", "bundles_the_sdk"),
    [("requirements", False), ("requirements-docdb", False), ("requirements-rollback", True)],
)
def test_each_lock_pins_what_its_requirements_file_asks_for(
    name: str, bundles_the_sdk: bool
) -> None:
    # A stale lock would bundle other versions than the ones reviewed: run `make lock`.
    wanted = pins(LAMBDA_SRC / f"{name}.txt")
    locked = pins(LAMBDA_SRC / f"{name}.lock")
    assert wanted
    assert {package: locked.get(package) for package in wanted} == wanted
    # The runtime provides boto3; only the rollback function needs its own (with awscrt).
    assert bool({"boto3", "botocore"} & set(locked)) is bundles_the_sdk


def test_pruning_keeps_code_metadata_and_licenses_only(tmp_path: Path) -> None:
    # Given what pip -t leaves behind
    kept = [
        "pkg/__init__.py",
        "pkg/_speedups.cpython-313-aarch64-linux-gnu.so",
        "pkg/data/schema.json",
        "pkg/testing.py",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/entry_points.txt",
        "pkg-1.0.dist-info/licenses/LICENSE",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/html.py",
    ]
    pruned = [
        "pkg/__init__.pyi",
        "pkg/_speedups/__init__.pyi",
        "pkg/py.typed",
        "pkg/_speedups.c",
        "pkg/_speedups.h",
        "pkg/tests/test_pkg.py",
        "pkg/__pycache__/__init__.cpython-313.pyc",
        "pkg-1.0.dist-info/RECORD",
        "pkg-1.0.dist-info/INSTALLER",
        "pkg-1.0.dist-info/REQUESTED",
        "pkg-stubs/__init__.pyi",
        "pkg-stubs/METADATA",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
        "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.min.css",
    ]
    for name in kept + pruned:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    # When the bundler prunes it
    prune_installed(tmp_path)
    # Then exactly the files a function can read at run time remain
    remaining = sorted(
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()
    )
    assert remaining == sorted(kept)


def test_no_function_serves_the_swagger_ui_the_bundles_leave_out() -> None:
    # The bundler drops Powertools' Swagger UI assets; enable_swagger(offline) would need them.
    assert UNUSED_PACKAGE_DATA
    callers = [
        path.relative_to(LAMBDA_SRC).as_posix()
        for path in LAMBDA_SRC.rglob("*.py")
        if "enable_swagger" in path.read_text()
    ]
    assert callers == [], "drop the swagger_ui patterns from UNUSED_PACKAGE_DATA first"


# Runs app.py as `cdk synth` does, with every bundle missing from the cache and its wheels too.
UNCACHED_APP = """
import runpy, sys, uuid
from cdk_constructs.local_python_bundler import PythonBundle
PythonBundle.cache_key = lambda self: uuid.uuid4().hex
PythonBundle.wheel_key = lambda self: uuid.uuid4().hex
sys.argv = ["app.py"]
runpy.run_path("app.py", run_name="__main__")
"""


def test_a_bundle_that_cannot_be_built_stops_synth_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle is built inside a jsii callback, so its error reaches the app as a bare
    RuntimeError; the app must still print one line, not a Python and a JavaScript traceback.
    The cache keys are replaced so that pip really runs, against an unreachable index."""
    go_offline(monkeypatch)
    result = subprocess.run(
        [sys.executable, "-c", UNCACHED_APP],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CDK_OUTDIR": str(tmp_path / "cdk.out")},
        cwd=Path(__file__).resolve().parents[2],
        timeout=300,
    )
    lines = [line for line in result.stderr.splitlines() if not line.startswith("b'")]
    assert result.returncode == 1, result.stderr
    assert lines == [lines[0]], result.stderr
    assert re.match(r"error: bundling failed: pip could not download \S+\.lock", lines[0])
    assert not list((tmp_path / "cdk.out").glob("*.template.json"))
