"""Create `.venv` and install the project into it, then re-run the caller inside it.

Used by scripts/run.py and scripts/test.py so that a fresh machine with only
Python 3.11+ needs nothing else. Re-installs only when pyproject.toml changed.

The test extra's llama.cpp server is compiled from source. pip's default build uses
``-march=native``, and such a library dies on a CPU with instructions the build host
lacked or mishandled (AVX-512, AMX), so the bootstrap builds it once with a fixed
x86-64 baseline, keeps the wheel in a per-user cache outside the repository, and
installs that wheel before the extras.

    python3 scripts/bootstrap.py [EXTRAS]     (only install; e.g. `test`)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
PYTHON = VENV / "bin" / "python"

# Must equal the exact pin in pyproject's test extra (a test checks it), so pip keeps our wheel.
LLAMA_VERSION = "0.3.36"
# AVX2/FMA/F16C baseline, nothing newer: a build with runtime CPU dispatch would choose AMX
# on the very Xeons where it crashes. No OpenMP: ggml's own thread pool needs no libgomp.
LLAMA_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF",
    "-DGGML_CPU_ALL_VARIANTS=OFF",
    "-DGGML_BACKEND_DL=OFF",
    "-DGGML_SSE42=ON",
    "-DGGML_AVX=ON",
    "-DGGML_AVX2=ON",
    "-DGGML_FMA=ON",
    "-DGGML_F16C=ON",
    "-DGGML_BMI2=ON",
    "-DGGML_AVX_VNNI=OFF",
    "-DGGML_AVX512=OFF",
    "-DGGML_AVX512_VBMI=OFF",
    "-DGGML_AVX512_VNNI=OFF",
    "-DGGML_AVX512_BF16=OFF",
    "-DGGML_AMX_TILE=OFF",
    "-DGGML_AMX_INT8=OFF",
    "-DGGML_AMX_BF16=OFF",
    "-DGGML_OPENMP=OFF",
    "-DGGML_CCACHE=OFF",
    "-DLLAVA_BUILD=OFF",  # the multimodal library: not used, and a third of the build
)
PIP = ["-m", "pip", "install", "--disable-pip-version-check", "-q"]


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _in_other_venv() -> bool:
    """A virtualenv the developer chose (not ours) that has the dependencies: use it as it is."""
    return sys.prefix != sys.base_prefix and not _in_venv() and importlib.util.find_spec("django") is not None


def _stamp(extras: str) -> str:
    digest = hashlib.sha256(
        (REPO / "pyproject.toml").read_bytes() + (REPO / "requirements-nodeps.txt").read_bytes() + extras.encode()
    )
    if "test" in extras.split(","):
        digest.update(llama_wheel_key().encode())
    return digest.hexdigest()[:16]


def _stamp_file(extras: str) -> Path:
    return VENV / f".installed{('-' + extras) if extras else ''}"


def _installed(extras: str) -> bool:
    # A venv with the test extra also has everything the plain install has.
    candidates = [extras] if extras else ["", "test"]
    return any(_stamp_file(e).exists() and _stamp_file(e).read_text() == _stamp(e) for e in candidates)


def ensure_venv(extras: str = "") -> None:
    """Re-exec the current script inside .venv with the project (and extras) installed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs under whatever python3 the user has
        sys.exit("IntelliSession needs Python 3.11 or newer.")
    if _in_other_venv():
        return
    if not PYTHON.exists():
        print("Creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not _installed(extras):
        _install(extras)
    if not _in_venv():
        script = os.path.abspath(sys.argv[0])
        os.execv(str(PYTHON), [str(PYTHON), script, *sys.argv[1:]])  # noqa: S606


def _install(extras: str) -> None:
    target = f".[{extras}]" if extras else "."
    pip = [str(PYTHON), *PIP]
    print(f"Installing {target} into .venv (the first run takes a few minutes) ...", flush=True)
    started = time.monotonic()
    subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=REPO)
    if "test" in extras.split(","):
        # Before the extras: the exact pin then finds it installed and pip leaves it alone.
        wheel = ensure_llama_wheel()
        subprocess.run([*pip, "--no-deps", "--force-reinstall", "--no-cache-dir", str(wheel)], check=True, cwd=REPO)
    subprocess.run([*pip, "-e", target], check=True, cwd=REPO)
    subprocess.run([*pip, "--no-deps", "-r", "requirements-nodeps.txt"], check=True, cwd=REPO)
    # The voice encoder's weights, fetched once into the user's cache (transcription.voice_weights).
    subprocess.run([str(PYTHON), "-m", "transcription.voice_weights"], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    _stamp_file(extras).write_text(_stamp(extras))
    print(f"Installed {target} in {time.monotonic() - started:.0f} s.", flush=True)


def wheel_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "intellisession" / "wheels"


def llama_wheel_key() -> str:
    """The cache folder name: the version and a digest of the build flags."""
    flags = hashlib.sha256(" ".join(LLAMA_CMAKE_ARGS).encode()).hexdigest()[:12]
    return f"llama-cpp-python-{LLAMA_VERSION}-{flags}"


def ensure_llama_wheel() -> Path:
    """The portable llama-cpp-python wheel, built on first use and cached per user."""
    folder = wheel_cache() / llama_wheel_key()
    with _lock(folder.parent / f"{llama_wheel_key()}.lock"):
        found = sorted(folder.glob("llama_cpp_python-*.whl"))
        if found:
            return found[0]
        return _build_llama_wheel(folder)


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    # Two fresh clones bootstrapping at once must not build the same wheel twice.
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _build_llama_wheel(folder: Path) -> Path:
    print(
        f"Building llama-cpp-python {LLAMA_VERSION} from source with portable flags, once for this user "
        f"(about 10 minutes on 2 cores; cached in {folder}) ...",
        flush=True,
    )
    started = time.monotonic()
    env = {
        **os.environ,
        "CMAKE_ARGS": " ".join(LLAMA_CMAKE_ARGS),
        "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2),
    }
    with tempfile.TemporaryDirectory(prefix="llama-wheel-") as scratch:
        # --no-cache-dir: pip's own wheel cache may hold a native build from an earlier install.
        subprocess.run(
            [
                sys.executable if not PYTHON.exists() else str(PYTHON),
                "-m",
                "pip",
                "wheel",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-cache-dir",
                "--no-binary",
                "llama-cpp-python",
                "-w",
                scratch,
                f"llama-cpp-python=={LLAMA_VERSION}",
            ],
            check=True,
            env=env,
        )
        (built,) = Path(scratch).glob("llama_cpp_python-*.whl")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / built.name
        partial = folder / f"{built.name}.part"
        shutil.move(str(built), partial)
        partial.replace(target)  # a wheel in the cache is always whole
    print(f"Built {target.name} in {time.monotonic() - started:.0f} s.", flush=True)
    return target


if __name__ == "__main__":
    ensure_venv(sys.argv[1] if len(sys.argv) > 1 else "")
