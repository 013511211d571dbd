from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import marshal
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from aws_lambda.scripts import zip_writer
from aws_lambda.scripts.shared import InvalidPrefixError, UnreadableTreeError
from aws_lambda.scripts.slim import SlimPatterns
from aws_lambda.scripts.testutil import script_sandbox
from aws_lambda.scripts.zip_writer import (
    FirstPartyCheck,
    TreeBytes,
    ZipSummary,
    ZipWriterError,
    main,
    write_reproducible_zip,
)

TREE = {
    "handler.py": (b"def handler(event, context):\n    return event\n", 0o644),
    "pkg/__init__.py": (b"", 0o644),
    "pkg/data.json": (b'{"answer": 42}\n' * 100, 0o600),
    "pkg/sub/tool.sh": (b"#!/bin/sh\necho hi\n", 0o744),
    "bin/run": (b"#!/bin/sh\nexec python handler.py\n", 0o700),
}


def make_tree(root: Path, paths: list[str], *, umask: int, mtime: int) -> Path:
    previous_umask = os.umask(umask)
    try:
        for relpath in paths:
            content, mode = TREE[relpath]
            path = root / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            path.chmod(mode & ~umask)
    finally:
        os.umask(previous_umask)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            os.utime(Path(dirpath, name), (mtime, mtime))
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "tree", list(TREE), umask=0o022, mtime=1_700_000_000)


def zip_modes(archive_path: Path) -> dict[str, int]:
    with zipfile.ZipFile(archive_path) as archive:
        return {info.filename: info.external_attr >> 16 for info in archive.infolist()}


def test_builds_are_byte_for_byte_identical(tmp_path: Path) -> None:
    first = make_tree(tmp_path / "a", list(TREE), umask=0o022, mtime=1_600_000_000)
    second = make_tree(tmp_path / "b", list(reversed(TREE)), umask=0o077, mtime=1_700_000_000)
    write_reproducible_zip(first, tmp_path / "first.zip")
    write_reproducible_zip(second, tmp_path / "second.zip")
    assert (tmp_path / "first.zip").read_bytes() == (tmp_path / "second.zip").read_bytes()


def test_entries_are_sorted_with_directories(tree: Path, tmp_path: Path) -> None:
    write_reproducible_zip(tree, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == [
        "bin/",
        "bin/run",
        "handler.py",
        "pkg/",
        "pkg/__init__.py",
        "pkg/data.json",
        "pkg/sub/",
        "pkg/sub/tool.sh",
    ]
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.create_system == 3
        expected = zipfile.ZIP_STORED if info.is_dir() else zipfile.ZIP_DEFLATED
        assert info.compress_type == expected


def test_modes_are_normalized(tree: Path, tmp_path: Path) -> None:
    (tree / "pkg" / "sub").chmod(0o700)
    write_reproducible_zip(tree, tmp_path / "out.zip")
    assert zip_modes(tmp_path / "out.zip") == {
        "bin/": stat.S_IFDIR | 0o755,
        "bin/run": stat.S_IFREG | 0o755,
        "handler.py": stat.S_IFREG | 0o644,
        "pkg/": stat.S_IFDIR | 0o755,
        "pkg/__init__.py": stat.S_IFREG | 0o644,
        "pkg/data.json": stat.S_IFREG | 0o644,
        "pkg/sub/": stat.S_IFDIR | 0o755,
        "pkg/sub/tool.sh": stat.S_IFREG | 0o755,
    }


def test_extracted_contents_match(tree: Path, tmp_path: Path) -> None:
    write_reproducible_zip(tree, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.testzip() is None
        for relpath, (content, _) in TREE.items():
            assert archive.read(relpath) == content


@pytest.mark.parametrize(
    "prefix, expected_folders",
    [("python/", ["python/"]), ("python", ["python/"]), ("a/b", ["a/", "a/b/"]), ("", [])],
)
def test_prefix(tree: Path, tmp_path: Path, prefix: str, expected_folders: list[str]) -> None:
    write_reproducible_zip(tree, tmp_path / "out.zip", prefix=prefix)
    names = list(zip_modes(tmp_path / "out.zip"))
    archive_prefix = expected_folders[-1] if expected_folders else ""
    assert names[: len(expected_folders)] == expected_folders
    assert f"{archive_prefix}handler.py" in names
    assert f"{archive_prefix}pkg/sub/tool.sh" in names
    assert all(name.startswith(archive_prefix) for name in names[len(expected_folders) :])


@pytest.mark.parametrize("prefix", ["../python", "/python", "python/../.."])
def test_invalid_prefix(tree: Path, tmp_path: Path, prefix: str) -> None:
    with pytest.raises(InvalidPrefixError, match="python/"):
        write_reproducible_zip(tree, tmp_path / "out.zip", prefix=prefix)
    assert list(tmp_path.iterdir()) == [tree]


def test_summary(tree: Path, tmp_path: Path) -> None:
    summary = write_reproducible_zip(tree, tmp_path / "out.zip")
    zip_bytes = (tmp_path / "out.zip").read_bytes()
    unzipped = sum(len(content) for content, _ in TREE.values())
    assert summary == ZipSummary(
        file_count=len(TREE),
        uncompressed_bytes=unzipped,
        zip_bytes=len(zip_bytes),
        sha256_base64=base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode(),
        tree=TreeBytes(other=unzipped),
        slimmable=TreeBytes(other=len(TREE["bin/run"][0])),
    )


def test_base_entries_are_copied_still_compressed(tree: Path, tmp_path: Path) -> None:
    deps = tmp_path / "deps"
    (deps / "lib").mkdir(parents=True)
    (deps / "lib" / "big.py").write_text("x = 1\n" * 10_000)
    write_reproducible_zip(deps, tmp_path / "deps.zip", prefix="python/")

    summary = write_reproducible_zip(tree, tmp_path / "out.zip", "python/", [tmp_path / "deps.zip"])

    base_bytes = (tmp_path / "deps.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "deps.zip") as base, zipfile.ZipFile(
        tmp_path / "out.zip"
    ) as out:
        base_info, out_info = base.getinfo("python/lib/big.py"), out.getinfo("python/lib/big.py")
        assert out_info.compress_size == base_info.compress_size < 1000
        assert out.read("python/handler.py") == TREE["handler.py"][0]
        names = out.namelist()
    assert (tmp_path / "out.zip").read_bytes()[: base_info.header_offset] == base_bytes[
        : base_info.header_offset
    ]
    assert names[: len(base.namelist())] == base.namelist(), "base entries first, unchanged"
    assert len(names) == len(set(names)), "the shared python/ folder is written once"
    assert summary.file_count == len(TREE) + 1
    assert summary.uncompressed_bytes == sum(len(c) for c, _ in TREE.values()) + 60_000


def test_base_and_tree_must_not_share_a_file(tree: Path, tmp_path: Path) -> None:
    write_reproducible_zip(tree, tmp_path / "deps.zip")
    with pytest.raises(ZipWriterError, match="'bin/run' is both in"):
        write_reproducible_zip(tree, tmp_path / "out.zip", bases=[tmp_path / "deps.zip"])
    assert not (tmp_path / "out.zip").exists()
    assert not list(tmp_path.glob(".out.zip.*"))


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relpath, content in files.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(content)
    return root


def test_several_bases_share_folders_and_identical_files(tree: Path, tmp_path: Path) -> None:
    shared = {"ns/__init__.py": "__path__ = __import__('pkgutil').extend_path(__path__, __name__)"}
    a = write_tree(tmp_path / "a", {**shared, "ns/a.py": "A = 1\n" * 500})
    b = write_tree(tmp_path / "b", {**shared, "ns/b.py": "B = 2\n" * 500})
    write_reproducible_zip(a, tmp_path / "a.zip", compile_for=sys.version_info[:2])
    write_reproducible_zip(b, tmp_path / "b.zip", compile_for=sys.version_info[:2])

    summary = write_reproducible_zip(
        tree, tmp_path / "out.zip", bases=[tmp_path / "a.zip", tmp_path / "b.zip"]
    )

    with zipfile.ZipFile(tmp_path / "out.zip") as out, zipfile.ZipFile(tmp_path / "b.zip") as b_zip:
        assert out.testzip() is None
        names = out.namelist()
        assert len(names) == len(set(names))
        assert {"ns/", "ns/__pycache__/", "ns/a.py", "ns/b.py", "handler.py"} <= set(names)
        assert out.getinfo("ns/b.py").compress_size == b_zip.getinfo("ns/b.py").compress_size
        assert out.read("ns/b.py") == b"B = 2\n" * 500
    pycs = [name for name in names if name.endswith(".pyc")]
    assert len(pycs) == 3, "the shared __init__ bytecode is identical, so kept once"
    assert summary.file_count == len(TREE) + 6


def test_bases_must_not_hold_different_files_at_one_path(tmp_path: Path) -> None:
    write_reproducible_zip(write_tree(tmp_path / "a", {"cv2/__init__.py": "a"}), tmp_path / "a.zip")
    write_reproducible_zip(write_tree(tmp_path / "b", {"cv2/__init__.py": "b"}), tmp_path / "b.zip")
    (tmp_path / "src").mkdir()
    with pytest.raises(
        ZipWriterError, match="'cv2/__init__.py' is in both 'a.zip' and 'b.zip', with different"
    ):
        write_reproducible_zip(
            tmp_path / "src", tmp_path / "out.zip", bases=[tmp_path / "a.zip", tmp_path / "b.zip"]
        )
    assert not (tmp_path / "out.zip").exists()


def test_appending_is_reproducible(tree: Path, tmp_path: Path) -> None:
    write_reproducible_zip(tree, tmp_path / "deps.zip", prefix="deps/")
    first = write_reproducible_zip(tree, tmp_path / "a.zip", bases=[tmp_path / "deps.zip"])
    second = write_reproducible_zip(tree, tmp_path / "b.zip", bases=[tmp_path / "deps.zip"])
    assert first == second
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_failure_leaves_no_output_or_temp_file(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output_dir = tmp_path / "dist"
    output_dir.mkdir()
    real_write_entry = zip_writer._write_entry
    written: list[zip_writer._Entry] = []

    def failing_write_entry(archive: zipfile.ZipFile, entry: zip_writer._Entry) -> None:
        if len(written) == 3:
            raise OSError("disk full")
        written.append(entry)
        real_write_entry(archive, entry)

    monkeypatch.setattr(zip_writer, "_write_entry", failing_write_entry)
    with pytest.raises(OSError, match="disk full"):
        write_reproducible_zip(tree, output_dir / "out.zip")
    assert list(output_dir.iterdir()) == []


def test_failure_keeps_previous_output(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out.zip"
    output.write_bytes(b"previous")

    def failing_read_bytes(self: Path) -> bytes:
        raise PermissionError(f"cannot read {self}")

    monkeypatch.setattr(Path, "read_bytes", failing_read_bytes)
    with pytest.raises(PermissionError):
        write_reproducible_zip(tree, output)
    monkeypatch.undo()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.zip", "tree"]
    assert output.read_bytes() == b"previous"


def test_output_replaces_existing_file(tree: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.zip"
    output.write_bytes(b"stale")
    write_reproducible_zip(tree, output)
    assert zipfile.is_zipfile(output)
    assert stat.S_IMODE(output.stat().st_mode) == 0o644


def test_file_symlink_is_stored_as_regular_file(tree: Path, tmp_path: Path) -> None:
    (tree / "link.sh").symlink_to(tree / "pkg" / "sub" / "tool.sh")
    write_reproducible_zip(tree, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert archive.read("link.sh") == TREE["pkg/sub/tool.sh"][0]
    assert zip_modes(tmp_path / "out.zip")["link.sh"] == stat.S_IFREG | 0o755


def test_directory_symlink_is_rejected(tree: Path, tmp_path: Path) -> None:
    (tree / "linked_pkg").symlink_to(tree / "pkg", target_is_directory=True)
    with pytest.raises(UnreadableTreeError, match=r"linked_pkg.*symlink to a directory"):
        write_reproducible_zip(tree, tmp_path / "out.zip")
    assert not (tmp_path / "out.zip").exists()


def test_dangling_symlink_is_rejected(tree: Path, tmp_path: Path) -> None:
    (tree / "gone.py").symlink_to(tree / "missing.py")
    with pytest.raises(UnreadableTreeError, match=r"gone\.py.*dangling symlink.*missing\.py"):
        write_reproducible_zip(tree, tmp_path / "out.zip")


def test_output_inside_root_is_rejected(tree: Path) -> None:
    with pytest.raises(ZipWriterError, match="inside the zip root"):
        write_reproducible_zip(tree, tree / "out.zip")
    assert not (tree / "out.zip").exists()


def test_missing_root_and_output_folder_are_rejected(tree: Path, tmp_path: Path) -> None:
    with pytest.raises(ZipWriterError, match=r"missing.*not a directory"):
        write_reproducible_zip(tmp_path / "missing", tmp_path / "out.zip")
    with pytest.raises(ZipWriterError, match=r"nowhere.*does not exist"):
        write_reproducible_zip(tree, tmp_path / "nowhere" / "out.zip")


def test_main_prints_summary(tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--output", str(tmp_path / "out.zip"), "--root", str(tree)]) == 0
    assert json.loads(capsys.readouterr().out)["file_count"] == len(TREE)


def run_writer(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the writer as the zip processes do: `-m`, isolated from the environment."""
    return subprocess.run(
        [sys.executable, "-E", "-s", "-B", "-m", "aws_lambda.scripts.zip_writer", *args],
        cwd=script_sandbox(cwd),
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )


def test_runs_as_a_module_in_a_sandbox(tree: Path, tmp_path: Path) -> None:
    result = run_writer(
        tmp_path / "sandbox", "--output", "layer.zip", "--root", str(tree), "--prefix", "python/"
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    zip_bytes = (tmp_path / "sandbox" / "layer.zip").read_bytes()
    assert {key: summary[key] for key in ("file_count", "zip_bytes", "sha256_base64")} == {
        "file_count": len(TREE),
        "zip_bytes": len(zip_bytes),
        "sha256_base64": base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode(),
    }
    assert summary["tree"]["other"] == sum(len(content) for content, _ in TREE.values())
    assert "python/handler.py" in zip_modes(tmp_path / "sandbox" / "layer.zip")
    assert not list((tmp_path / "sandbox").rglob("__pycache__")), "nothing written but the zip"


def test_module_reports_errors(tmp_path: Path) -> None:
    result = run_writer(tmp_path / "sandbox", "--output", "out.zip", "--root", "missing")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "'missing' is not a directory" in result.stderr
    (tmp_path / "tree").mkdir()
    result = run_writer(
        tmp_path / "sandbox2",
        "--output",
        "out.zip",
        "--root",
        str(tmp_path / "tree"),
        "--prefix",
        "/abs",
    )
    assert result.returncode == 1
    assert "must be a relative folder" in result.stderr


def test_compile_for_adds_unchecked_hash_bytecode(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text("VALUE = 42\n")
    (root / "py2.py").write_text("print 'python 2'\n")
    version = sys.version_info[:2]

    write_reproducible_zip(root, tmp_path / "out.zip", prefix="python/", compile_for=version)

    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        names = archive.namelist()
        pyc = archive.read(f"python/pkg/__pycache__/mod.{sys.implementation.cache_tag}.pyc")
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b01, "hash-based, source never checked"
    assert pyc[8:16] == importlib.util.source_hash(b"VALUE = 42\n")
    code = marshal.loads(pyc[16:])
    assert code.co_filename == "python/pkg/mod.py", "no sandbox path in the bytecode"
    assert not [name for name in names if name.startswith("python/__pycache__/py2")]


def test_compile_for_another_python_fails(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "mod.py").write_text("x = 1\n")
    with pytest.raises(ZipWriterError, match="Bytecode for Python 2.7 must be compiled by CPython"):
        write_reproducible_zip(root, tmp_path / "out.zip", compile_for=(2, 7))
    assert not (tmp_path / "out.zip").exists()


def test_compiled_zip_is_reproducible_across_processes(tmp_path: Path) -> None:
    """Bytecode is marshalled code: two fresh interpreters must write the same bytes."""
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    source = "import json\n\nclass A:\n    def f(self, x):\n        return {'a': x, 'b': [x] * 2}\n"
    for name in ("a", "b", "c"):
        (root / "pkg" / f"{name}.py").write_text(source.replace("A", name.upper()))
    version = "{}.{}".format(*sys.version_info[:2])
    digests = set()
    for attempt in range(2):
        shutil.rmtree(root / "pkg" / "__pycache__", ignore_errors=True)
        output = tmp_path / f"out{attempt}.zip"
        result = run_writer(
            tmp_path / f"sandbox{attempt}",
            *("--root", str(root), "--output", str(output), "--compile-for", version),
            PYTHONHASHSEED=str(attempt),
        )
        assert result.returncode == 0, result.stderr
        digests.add(hashlib.sha256(output.read_bytes()).hexdigest())
    assert len(digests) == 1


def _import_from(root: Path, code: str) -> str:
    """What `code` prints, run by a fresh interpreter with only `root` to import from."""
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-B",
            "-c",
            f"import sys; sys.path.insert(0, {str(root)!r}); {code}",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def test_first_party_bytecode_is_checked_hash_so_edits_take_effect(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "handler.py").write_text("ANSWER = 1\n")
    version = sys.version_info[:2]
    write_reproducible_zip(
        root, tmp_path / "out.zip", compile_for=version, first_party=FirstPartyCheck(version)
    )
    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        pyc = archive.read(f"__pycache__/handler.{sys.implementation.cache_tag}.pyc")
        archive.extractall(extracted)
    assert int.from_bytes(pyc[4:8], "little") == 0b11, "hash-based, source checked"
    assert _import_from(extracted, "import handler; print(handler.ANSWER)") == "1"

    # As in the Lambda console's editor: the source changes, the bytecode does not.
    (extracted / "handler.py").write_text("ANSWER = 2\n")
    assert _import_from(extracted, "import handler; print(handler.ANSWER)") == "2"


def test_sourceless_bytecode_takes_the_sources_place(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("from pkg.mod import VALUE\n")
    (root / "pkg" / "mod.py").write_text("VALUE = 42\n")
    (root / "py2.py").write_text("print 'python 2'\n")
    (root / "pkg-1.0.dist-info").mkdir()
    (root / "pkg-1.0.dist-info" / "METADATA").write_text("Name: pkg\nVersion: 1.0\n")
    (root / "pkg-1.0.dist-info" / "RECORD").write_text(
        "pkg/__init__.py,,\npkg/mod.py,,\npy2.py,,\npkg-1.0.dist-info/RECORD,,\n"
    )
    sources = sum(len((root / path).read_bytes()) for path in ("pkg/__init__.py", "pkg/mod.py"))

    summary = write_reproducible_zip(
        root, tmp_path / "out.zip", compile_for=sys.version_info[:2], sourceless=True
    )

    extracted = tmp_path / "extracted"
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        archive.extractall(extracted)
        names = set(archive.namelist())
    assert {"pkg/__init__.pyc", "pkg/mod.pyc", "py2.py"} <= names
    assert not {"pkg/__init__.py", "pkg/mod.py"} & names
    assert not [name for name in names if "__pycache__" in name]
    assert _import_from(extracted, "import pkg; print(pkg.VALUE, pkg.__file__)").startswith("42 ")
    files = _import_from(
        extracted, "import importlib.metadata as m; print(sorted(str(f) for f in m.files('pkg')))"
    )
    assert files == str(
        sorted(["pkg-1.0.dist-info/RECORD", "pkg/__init__.pyc", "pkg/mod.pyc", "py2.py"])
    )
    assert summary.tree.sources == sources, "what the sources would add back"
    assert summary.tree.bytecode + summary.tree.other == summary.uncompressed_bytes


def test_sourceless_is_for_third_party_bytecode_only(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    version = sys.version_info[:2]
    with pytest.raises(ZipWriterError, match="Sourceless"):
        write_reproducible_zip(root, tmp_path / "a.zip", sourceless=True)
    with pytest.raises(ZipWriterError, match="Sourceless"):
        write_reproducible_zip(
            root,
            tmp_path / "b.zip",
            compile_for=version,
            first_party=FirstPartyCheck(version),
            sourceless=True,
        )


def test_slim_leaves_out_and_measures(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "pkg" / "tests").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "tests" / "test_pkg.py").write_text("import pkg\n" * 100)
    (root / "pkg-1.0.dist-info").mkdir()
    (root / "pkg-1.0.dist-info" / "METADATA").write_text("Name: pkg\nVersion: 1.0\n")
    (root / "pkg-1.0.dist-info" / "RECORD").write_text(
        "pkg/__init__.py,,\npkg/tests/test_pkg.py,,\npkg-1.0.dist-info/RECORD,,\n"
    )
    test_size = (root / "pkg" / "tests" / "test_pkg.py").stat().st_size
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    version = sys.version_info[:2]

    unslimmed = write_reproducible_zip(copy, tmp_path / "full.zip", compile_for=version)
    slimmed = write_reproducible_zip(
        root, tmp_path / "slim.zip", compile_for=version, slim=SlimPatterns()
    )

    with zipfile.ZipFile(tmp_path / "slim.zip") as archive:
        names = archive.namelist()
        record = archive.read("pkg-1.0.dist-info/RECORD").decode()
        pyc = archive.read(f"pkg/__pycache__/__init__.{sys.implementation.cache_tag}.pyc")
    assert not [name for name in names if "tests" in name]
    assert record.splitlines()[:2] == [
        "pkg/__init__.py,,",
        f"pkg/__pycache__/__init__.{sys.implementation.cache_tag}.pyc,sha256="
        + base64.urlsafe_b64encode(hashlib.sha256(pyc).digest()).rstrip(b"=").decode()
        + f",{len(pyc)}",
    ]
    assert "tests" not in record
    assert slimmed.slimmed_bytes == test_size
    assert unslimmed.slimmable.sources == test_size and unslimmed.slimmable.bytecode > 0
    # What slimming would leave out is what it does, bytecode included (RECORD aside).
    record_change = len(record) - len((copy / "pkg-1.0.dist-info" / "RECORD").read_text())
    slimmable = unslimmed.slimmable
    assert unslimmed.uncompressed_bytes - (
        slimmable.sources + slimmable.bytecode + slimmable.other
    ) == (slimmed.uncompressed_bytes - record_change)
