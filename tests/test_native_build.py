"""The llama.cpp libraries the tests use run on any x86-64 CPU with AVX2.

A build with host-specific instructions passed here and crashed elsewhere (a general-protection
fault in libggml-cpu.so on a Xeon with AVX-512 and AMX), so the installed libraries are
disassembled and must contain no AVX-512 (zmm or mask registers, EVEX-only ymm16-31) and no
AMX (tile) instruction, and must not need OpenMP's runtime.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

AVX512_OPERAND = re.compile(r"%zmm\d+|%k[0-7]\b|%[xy]mm(?:1[6-9]|2\d|3[01])\b")
AMX_MNEMONIC = re.compile(r"(?:ldtilecfg|sttilecfg|tile\w+|tdp\w+)$")
INSTRUCTION = re.compile(r"^\s*[0-9a-f]+:\s+(\S+)\s*(.*)$")


def llama_libraries() -> list[Path]:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llama-cpp-python is not installed (it comes with the test extra)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "lib"
    libraries = sorted(lib for lib in folder.glob("lib*.so*") if not lib.is_symlink())
    assert any(lib.name.startswith("libggml-cpu") for lib in libraries), libraries
    return libraries


def objdump(*args: str) -> str:
    if shutil.which("objdump") is None:
        pytest.skip("objdump (binutils) is not installed")
    return subprocess.run(["objdump", *args], check=True, capture_output=True, text=True).stdout


def scan(library: Path) -> tuple[list[str], int]:
    """The AVX-512/AMX instructions found, and how many instructions use a ymm register."""
    bad, ymm = [], 0
    for line in objdump("-d", "--no-show-raw-insn", str(library)).splitlines():
        match = INSTRUCTION.match(line)
        if not match:
            continue
        mnemonic, operands = match.groups()
        if AVX512_OPERAND.search(operands) or AMX_MNEMONIC.match(mnemonic):
            bad.append(line.strip())
        ymm += "%ymm" in operands
    return bad, ymm


def test_llama_libraries_have_no_avx512_or_amx_instructions() -> None:
    ymm_total = 0
    for library in llama_libraries():
        bad, ymm = scan(library)
        assert not bad, f"{library.name} has host-specific instructions, e.g. {bad[:5]}"
        ymm_total += ymm
    # The disassembly is real and the baseline is AVX2: the CPU backend does use 256-bit registers.
    assert ymm_total > 1000


def test_llama_libraries_do_not_need_openmp() -> None:
    for library in llama_libraries():
        needed = re.findall(r"NEEDED\s+(\S+)", objdump("-p", str(library)))
        assert needed, f"no dynamic section read from {library.name}"
        assert not [n for n in needed if "gomp" in n or "omp" in n.split(".")[0]], (library.name, needed)


def test_installed_llama_is_the_pinned_version_the_bootstrap_builds() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from bootstrap import LLAMA_VERSION  # type: ignore[import-not-found]

    test_extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    assert f"llama-cpp-python[server]=={LLAMA_VERSION}" in test_extra
    llama_libraries()  # skips when it is not installed
    assert importlib.metadata.version("llama_cpp_python") == LLAMA_VERSION


def test_the_scan_finds_avx512_and_amx_in_a_library_built_for_them(tmp_path: Path) -> None:
    """The guard itself: a small library compiled for AVX-512 and AMX is caught."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    source = tmp_path / "wide.c"
    source.write_text(
        "#include <immintrin.h>\n"
        "void add(float *a, const float *b, int n) { for (int i = 0; i < n; i++) a[i] += b[i]; }\n"
        "void tiles(void) { _tile_zero(0); _tile_release(); }\n"
    )
    library = tmp_path / "libwide.so"
    subprocess.run(["gcc", "-O3", "-mavx512f", "-mamx-tile", "-mprefer-vector-width=512", "-shared", "-fPIC",
                    "-o", str(library), str(source)], check=True)  # fmt: skip
    bad, _ = scan(library)
    assert any("%zmm" in line for line in bad)
    assert any("tilezero" in line or "tilerelease" in line for line in bad)
