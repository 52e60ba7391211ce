"""``make bundle``: build each distinct Lambda bundle and print its size and build time.

Builds with the same bundler and the same cache ``cdk synth`` uses (pip for
manylinux2014_aarch64, no Docker; ``build/cache``) into ``OUTPUT_DIR/<service>`` and zips it
the way an asset is uploaded, so the numbers are the ones Lambda sees. The last column says
whether the bundle came from the cache or was built. Usage: ``python -m tools.bundle OUTPUT_DIR``.
"""

from __future__ import annotations

import shutil
import sys
import time
import zipfile
from pathlib import Path

from cdk_constructs.bundle_cache import BundleCache
from cdk_constructs.cutover_rollback import ROLLBACK_LOCK, ROLLBACK_PACKAGE
from cdk_constructs.local_python_bundler import BundlingError, PythonBundle
from stacks.compute_stack import service_bundles

MIB = 1024 * 1024


def zip_directory(source: Path, archive: Path) -> int:
    """Zip ``source`` deterministically (sorted entries, fixed dates); return the size."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(path.relative_to(source).as_posix(), (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes(), compresslevel=9)
    return archive.stat().st_size


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.bundle OUTPUT_DIR", file=sys.stderr)
        return 2
    output = Path(argv[0])
    built: dict[str, str] = {}
    cache = BundleCache()
    print(
        f"{'service':<17}{'files':>7}{'unzipped MiB':>14}{'zipped MiB':>12}{'seconds':>9}  source"
    )
    try:
        bundles: dict[str, PythonBundle] = {
            **service_bundles(),
            "cutover_rollback": PythonBundle(
                packages=(ROLLBACK_PACKAGE,), requirements=ROLLBACK_LOCK
            ),
        }
        for service, bundle in bundles.items():
            fingerprint = bundle.fingerprint()
            if fingerprint in built:
                print(f"{service:<17}  same bundle as {built[fingerprint]}")
                continue
            built[fingerprint] = service
            target = output / service
            shutil.rmtree(target, ignore_errors=True)
            started = time.perf_counter()
            cached = bundle.build(target, cache=cache)
            seconds = time.perf_counter() - started
            files = [path for path in target.rglob("*") if path.is_file()]
            unzipped = sum(path.stat().st_size for path in files)
            zipped = zip_directory(target, output / f"{service}.zip")
            print(
                f"{service:<17}{len(files):>7}{unzipped / MIB:>14.1f}"
                f"{zipped / MIB:>12.2f}{seconds:>9.1f}  {'cache' if cached else 'built'}"
            )
    except BundlingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
