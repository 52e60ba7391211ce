"""``make bundle``: build each distinct Lambda bundle and print its size and build time.

Builds with the same bundler and the same cache ``cdk synth`` uses (pip for
manylinux2014_aarch64, no Docker; ``build/cache``) and copies each bundle's zip, the very file
synth stages and deploy uploads, to ``OUTPUT_DIR/<service>.zip``, so the numbers are the ones
Lambda sees. The last column says whether the bundle came from the cache or was built.
Usage: ``python -m tools.bundle OUTPUT_DIR``.
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
            started = time.perf_counter()
            archive, cached = bundle.archive(cache)
            seconds = time.perf_counter() - started
            with zipfile.ZipFile(archive) as zipped:
                files = zipped.infolist()
            unzipped = sum(info.file_size for info in files)
            output.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(archive, output / f"{service}.zip")
            print(
                f"{service:<17}{len(files):>7}{unzipped / MIB:>14.1f}"
                f"{archive.stat().st_size / MIB:>12.2f}{seconds:>9.1f}  "
                f"{'cache' if cached else 'built'}"
            )
    except BundlingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
