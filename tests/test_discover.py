"""Discovery on real trees in tmp_path: git listings, walks, symlinks, encodings, display paths."""

from __future__ import annotations

import codecs
import errno
import os
import subprocess
from pathlib import Path

import pytest

from migrator import discover
from migrator.discover import (
    KIND_BY_INTERPRETER,
    KIND_BY_NAME,
    KIND_BY_PREFIX,
    KIND_BY_SUFFIX,
    KINDS,
    Candidate,
    iter_candidates,
    kind_of,
    read_source,
)
from migrator.types import Skip, SourceFile

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path, monkeypatch):
    """Keep git from finding a repository above tmp_path or reading the user's config."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "init.defaultBranch=main",
         *args],
        cwd=cwd, check=True, capture_output=True,
    )


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def summary(items) -> list[tuple[str, ...]]:
    """Candidates as (path, kind), Skips as (path, reason, detail)."""
    return [
        (i.path, i.kind) if isinstance(i, Candidate) else (i.path, i.reason, i.detail)
        for i in items
    ]


def scan(cwd: Path, *paths: str, **options) -> list[tuple[str, ...]]:
    return summary(iter_candidates(paths or ["."], cwd=str(cwd), **options))


def candidate(path: Path, kind: str = "text") -> Candidate:
    return Candidate(path.name, str(path), kind)


# --- kinds -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.py", "python"), ("A.PY", "python"), ("gui.pyw", "python"),
        ("n.ipynb", "notebook"), ("N.IPYNB", "notebook"),
        ("c.yaml", "yaml"), ("c.yml", "yaml"), ("C.YML", "yaml"),
        ("c.json", "json"), ("x.postman_collection.json", "json"), ("x.postman_environment.json", "json"),
        (".env", "dotenv"), (".env.local", "dotenv"), (".ENV.production", "dotenv"), ("prod.env", "dotenv"),
        ("s.ini", "ini"), ("setup.cfg", "ini"), ("nginx.conf", "ini"),
        ("pyproject.toml", "toml"),
        ("app.properties", "properties"),
        ("r.sh", "shell"), ("r.bash", "shell"), ("r.zsh", "shell"), ("r.ksh", "shell"),
        ("Jenkinsfile", "groovy"), ("jenkinsfile.release", "groovy"), ("b.groovy", "groovy"),
        ("README.md", "markdown"), ("doc.markdown", "markdown"), ("doc.rst", "text"), ("notes.txt", "text"),
        ("p.ps1", "powershell"), ("m.psm1", "powershell"),
        ("a.js", "javascript"), ("a.mjs", "javascript"), ("a.cjs", "javascript"),
        ("a.jsx", "javascript"), ("a.ts", "javascript"), ("a.tsx", "javascript"),
        ("A.java", "java"), ("a.cs", "csharp"), ("a.go", "go"),
        ("a.kt", "kotlin"), ("build.gradle.kts", "kotlin"), ("a.scala", "scala"),
        ("api.http", "http"), ("api.rest", "http"),
        ("Dockerfile", "dockerfile"), ("Dockerfile.dev", "dockerfile"), ("app.dockerfile", "dockerfile"),
        ("image.png", "text"), ("archive.tar.gz", "text"), ("Makefile", "text"),
    ],
)
def test_kind_by_name(tmp_path, name, kind):
    assert kind_of(str(tmp_path / "missing" / name)) == kind


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"#!/bin/sh\necho hi\n", "shell"),
        (b"#!/bin/bash -e\n", "shell"),
        (b"#! /usr/bin/env bash\r\n", "shell"),
        (b"#!/usr/bin/env -S python3 -u\n", "python"),
        (b"#!/usr/bin/env PYTHONUTF8=1 python3\n", "python"),
        (b"#!/usr/bin/python3.11\n", "python"),
        (b"#!/usr/bin/perl\n", "text"),
        (b"#!\n", "text"),
        (b"print('no shebang')\n", "text"),
        (b"", "text"),
    ],
)
def test_kind_of_extensionless_file_by_shebang(tmp_path, head, kind):
    (tmp_path / "run").write_bytes(head)
    assert kind_of(str(tmp_path / "run")) == kind


def test_shebang_is_only_read_for_extensionless_names(tmp_path):
    (tmp_path / "tool.txt").write_bytes(b"#!/usr/bin/env python3\n")
    (tmp_path / ".bashrc").write_bytes(b"#!/bin/bash\n")
    assert kind_of(str(tmp_path / "tool.txt")) == "text"
    assert kind_of(str(tmp_path / ".bashrc")) == "shell"


def test_kinds_table_is_exported_as_data():
    assert tuple(sorted(KINDS)) == KINDS
    assert "text" in KINDS
    named = {*KIND_BY_SUFFIX.values(), *KIND_BY_NAME.values(), *KIND_BY_INTERPRETER.values()}
    assert named | {kind for _, kind in KIND_BY_PREFIX} | {"text"} == set(KINDS)
    assert all(key == key.lower() for key in [*KIND_BY_SUFFIX, *KIND_BY_NAME])


# --- walking without git ---------------------------------------------------------------


def test_walk_prunes_excluded_dirs_with_one_skip_each(tmp_path):
    write(tmp_path, {
        "app.py": "",
        "node_modules/pkg/index.js": "", "node_modules/pkg/lib/a.js": "",
        ".venv/pyvenv.cfg": "", ".venv/lib/x.py": "",
        "myenv/pyvenv.cfg": "", "myenv/bin/activate": "",
        "lib/python3.11/site-packages/req/api.py": "",
        "src/__pycache__/m.cpython-311.pyc": "", "src/m.py": "", "src/.mypy_cache/x.json": "",
        "web/bower_components/x.js": "", ".tox/py311/x.py": "", "nb/.ipynb_checkpoints/a.ipynb": "",
        ".git/config": "",
    })
    assert scan(tmp_path, use_git=False) == [
        (".git", "excluded-dir", "excluded by default"),
        (".tox", "excluded-dir", "excluded by default"),
        (".venv", "excluded-dir", "excluded by default"),
        ("app.py", "python"),
        ("myenv", "excluded-dir", "virtual environment (has pyvenv.cfg)"),
        ("node_modules", "excluded-dir", "excluded by default"),
        ("lib/python3.11/site-packages", "excluded-dir", "excluded by default"),
        ("nb/.ipynb_checkpoints", "excluded-dir", "excluded by default"),
        ("src/.mypy_cache", "excluded-dir", "excluded by default"),
        ("src/__pycache__", "excluded-dir", "excluded by default"),
        ("src/m.py", "python"),
        ("web/bower_components", "excluded-dir", "excluded by default"),
    ]


def test_explicit_excluded_dir_is_walked(tmp_path):
    write(tmp_path, {"node_modules/pkg/index.js": "", "node_modules/pkg/node_modules/dep/x.js": ""})
    assert scan(tmp_path, "node_modules/pkg", use_git=False) == [
        ("node_modules/pkg/index.js", "javascript"),
        ("node_modules/pkg/node_modules", "excluded-dir", "excluded by default"),
    ]


def test_walk_falls_back_when_not_in_a_git_tree(tmp_path):
    write(tmp_path, {"b.py": "", "a/c.yml": ""})
    assert scan(tmp_path) == [("b.py", "python"), ("a/c.yml", "yaml")]


def test_walk_reports_special_files(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    write(tmp_path, {"a.py": ""})
    assert scan(tmp_path, use_git=False) == [("a.py", "python"), ("pipe", "unreadable", "not a regular file")]
    assert scan(tmp_path, "pipe") == [("pipe", "unreadable", "not a regular file")]


def test_missing_argument_is_a_skip(tmp_path):
    assert scan(tmp_path, "nope.py", "gone/") == [
        ("nope.py", "unreadable", "no such file or directory"),
        ("gone", "unreadable", "no such file or directory"),
    ]


def test_names_with_spaces_newlines_and_non_ascii(tmp_path):
    names = ["my file.py", "new\nline.py", "ünïcødé.py", "日本/設定.yaml"]
    write(tmp_path, {name: "x = 1\n" for name in names})
    expected = [("my file.py", "python"), ("new\nline.py", "python"), ("ünïcødé.py", "python"),
                ("日本/設定.yaml", "yaml")]
    assert scan(tmp_path, use_git=False) == expected
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "names")
    assert sorted(scan(tmp_path)) == sorted(expected)
    sources = [read_source(c) for c in iter_candidates(["."], cwd=str(tmp_path))]
    assert sorted(s.path for s in sources) == sorted(name for name, _ in expected)
    assert {s.text for s in sources} == {"x = 1\n"}


# --- display paths ---------------------------------------------------------------------


def test_display_paths_are_relative_under_cwd_else_absolute(tmp_path):
    write(tmp_path, {"work/src/a.py": "", "work/top.py": "", "other/b.py": ""})
    work = tmp_path / "work"
    assert scan(work, "src", str(work / "src" / "a.py"), "../other", use_git=False) == [
        ("src/a.py", "python"),
        (f"{tmp_path}/other/b.py", "python"),
    ]
    assert scan(work, ".", use_git=False) == [("top.py", "python"), ("src/a.py", "python")]
    assert scan(work / "src", "..", use_git=False) == [(f"{work}/top.py", "python"), ("a.py", "python")]


def test_candidate_paths(tmp_path):
    write(tmp_path, {"src/a.py": ""})
    assert list(iter_candidates(["./src/../src"], cwd=str(tmp_path), use_git=False)) == [
        Candidate("src/a.py", str(tmp_path / "src" / "a.py"), "python"),
    ]


def test_default_cwd_is_the_process_cwd(tmp_path, monkeypatch):
    write(tmp_path, {"a.py": ""})
    monkeypatch.chdir(tmp_path)
    assert summary(iter_candidates(["."], use_git=False)) == [("a.py", "python")]


# --- overlapping arguments, include and exclude ----------------------------------------


def test_each_file_is_yielded_once_for_overlapping_arguments(tmp_path):
    write(tmp_path, {"a.py": "", "src/b.py": "", "src/deep/c.py": ""})
    assert scan(tmp_path, "src/b.py", ".", "src", "src/deep", ".", use_git=False) == [
        ("src/b.py", "python"),
        ("a.py", "python"),
        ("src/deep/c.py", "python"),
    ]


def test_each_file_is_yielded_once_for_overlapping_arguments_in_git(tmp_path):
    write(tmp_path, {"a.py": "", "src/b.py": "", "src/deep/c.py": ""})
    git(tmp_path, "init", "-q")
    assert scan(tmp_path, "src/b.py", ".", "src/deep") == [
        ("src/b.py", "python"),
        ("a.py", "python"),
        ("src/deep/c.py", "python"),
    ]


def test_include_and_exclude_globs(tmp_path):
    write(tmp_path, {
        "a.py": "", "a.yml": "", "docs/x.py": "", "src/gen/y.py": "", "src/gen/z.txt": "",
        "src/main.py": "", "tests/node_modules/m.js": "", "tests/t.py": "",
    })
    assert scan(tmp_path, use_git=False, include=["*.py"], exclude=["tests", "docs/"]) == [
        ("a.py", "python"), ("src/main.py", "python"), ("src/gen/y.py", "python"),
    ]
    assert scan(tmp_path, use_git=False, exclude=["**/gen/**", "./a.*", "tests/*"]) == [
        ("docs/x.py", "python"), ("src/main.py", "python"),
    ]
    # include only filters files: pruned directories are still reported
    assert scan(tmp_path, use_git=False, include=["src/**/*.txt", "a.y?l"], exclude=["[!a]*.py"]) == [
        ("a.yml", "yaml"), ("src/gen/z.txt", "text"),
        ("tests/node_modules", "excluded-dir", "excluded by default"),
    ]


def test_a_lone_string_is_one_path_or_pattern(tmp_path):
    write(tmp_path, {"src/a.py": "", "src/b.yml": ""})
    assert summary(iter_candidates("src", cwd=str(tmp_path), use_git=False, exclude="*.yml")) == [
        ("src/a.py", "python"),
    ]


def test_globs_apply_to_explicit_files_and_git_listings(tmp_path):
    write(tmp_path, {"a.py": "", "b.yml": ""})
    assert scan(tmp_path, "a.py", "b.yml", exclude=["*.py"]) == [("b.yml", "yaml")]
    git(tmp_path, "init", "-q")
    assert scan(tmp_path, include=["*.yml"]) == [("b.yml", "yaml")]


# --- git -------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path):
    """A repository with tracked, untracked, ignored and deleted-but-tracked files."""
    write(tmp_path, {
        ".gitignore": "*.log\nbuild/\nsecret.env\n",
        "tracked.py": "", "gone.py": "", "src/lib.py": "",
    })
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "init")
    write(tmp_path, {"untracked.yml": "", "debug.log": "", "build/out.py": "", "build/gen/x.py": "",
                     "secret.env": "KEY=1"})
    (tmp_path / "gone.py").unlink()
    return tmp_path


def test_git_lists_tracked_and_untracked_but_not_ignored_or_deleted(repo):
    assert sorted(scan(repo)) == [
        (".gitignore", "text"), ("src/lib.py", "python"), ("tracked.py", "python"), ("untracked.yml", "yaml"),
    ]


def test_git_listing_of_a_subdirectory(repo):
    assert scan(repo, "src") == [("src/lib.py", "python")]
    assert scan(repo / "src", ".") == [("lib.py", "python")]


def test_explicit_gitignored_file_is_scanned(repo):
    assert scan(repo, "secret.env", "debug.log", "build/out.py") == [
        ("secret.env", "dotenv"), ("debug.log", "text"), ("build/out.py", "python"),
    ]


def test_explicit_gitignored_dir_is_walked(repo):
    assert scan(repo, "build") == [("build/out.py", "python"), ("build/gen/x.py", "python")]
    assert scan(repo, "build/gen") == [("build/gen/x.py", "python")]


def test_use_git_false_walks_ignored_files(repo):
    assert scan(repo, use_git=False) == [
        (".git", "excluded-dir", "excluded by default"),
        (".gitignore", "text"), ("debug.log", "text"), ("secret.env", "dotenv"),
        ("tracked.py", "python"), ("untracked.yml", "yaml"),
        ("build/out.py", "python"), ("build/gen/x.py", "python"), ("src/lib.py", "python"),
    ]


def test_missing_git_falls_back_to_walking(repo, monkeypatch):
    monkeypatch.setenv("PATH", str(repo / "no-bin"))
    assert scan(repo, "src", "build") == [("src/lib.py", "python"), ("build/out.py", "python"),
                                          ("build/gen/x.py", "python")]


def test_git_skips_committed_vendored_dirs_once_each(tmp_path):
    write(tmp_path, {
        "app.py": "",
        "venv/pyvenv.cfg": "", "venv/lib/site.py": "", "venv/bin/activate": "",
        "tools/env2/bin/activate": "", "tools/env2/pyvenv.cfg": "", "tools/env2/lib/y.py": "",
        "web/node_modules/a/b.js": "", "web/node_modules/c.js": "", "web/app.js": "",
    })
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "vendored")
    assert sorted(scan(tmp_path)) == [
        ("app.py", "python"),
        ("tools/env2", "excluded-dir", "virtual environment (has pyvenv.cfg)"),
        ("venv", "excluded-dir", "excluded by default"),
        ("web/app.js", "javascript"),
        ("web/node_modules", "excluded-dir", "excluded by default"),
    ]


def test_nested_repository_is_listed_by_its_own_git(tmp_path):
    write(tmp_path, {"a.py": "", "inner/.gitignore": "*.tmp\n", "inner/b.py": "", "inner/c.tmp": ""})
    git(tmp_path, "init", "-q")
    git(tmp_path / "inner", "init", "-q")
    assert sorted(scan(tmp_path)) == [
        ("a.py", "python"), ("inner/.gitignore", "text"), ("inner/b.py", "python"),
    ]


def test_unmerged_path_is_listed_once(tmp_path):
    write(tmp_path, {"f.py": "a\n"})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "f.py")
    git(tmp_path, "commit", "-qm", "1")
    git(tmp_path, "checkout", "-qb", "other")
    write(tmp_path, {"f.py": "b\n"})
    git(tmp_path, "commit", "-qam", "2")
    git(tmp_path, "checkout", "-q", "main")
    write(tmp_path, {"f.py": "c\n"})
    git(tmp_path, "commit", "-qam", "3")
    with pytest.raises(subprocess.CalledProcessError):
        git(tmp_path, "merge", "other")
    assert scan(tmp_path) == [("f.py", "python")]


def test_candidates_stream_and_stop_early(repo):
    stream = iter_candidates(["."], cwd=str(repo))
    assert isinstance(next(stream), Candidate)
    stream.close()


# --- symlinks --------------------------------------------------------------------------


@pytest.fixture
def links(tmp_path):
    """tree/ with links to a file, a dir, itself, outside, nowhere; outside/ beside it."""
    write(tmp_path, {"tree/real.py": "", "tree/dir/inner.py": "", "outside/o.py": ""})
    tree = tmp_path / "tree"
    (tree / "a_link.py").symlink_to("real.py")
    (tree / "dirlink").symlink_to("dir")
    (tree / "dir" / "loop").symlink_to("..")
    (tree / "out").symlink_to("../outside")
    (tree / "broken").symlink_to("nowhere")
    (tree / "self").symlink_to("self")
    return tree


def test_symlinks_are_not_followed_by_default(links):
    assert scan(links, use_git=False) == [
        ("a_link.py", "symlink", "link to a file, not followed"),
        ("broken", "symlink", "broken link: no such file or directory"),
        ("dirlink", "symlink", "link to a directory, not followed"),
        ("out", "symlink", "link to a directory, not followed"),
        ("real.py", "python"),
        ("self", "symlink", "broken link: too many levels of symbolic links"),
        ("dir/inner.py", "python"),
        ("dir/loop", "symlink", "link to a directory, not followed"),
    ]


def test_followed_symlinks_detect_loops_and_never_repeat_a_file(links):
    assert scan(links, use_git=False, follow_symlinks=True) == [
        ("a_link.py", "symlink", "target is inside the scanned tree"),
        ("broken", "symlink", "broken link: no such file or directory"),
        ("dirlink", "symlink", "target is inside the scanned tree"),
        ("real.py", "python"),
        ("self", "symlink-loop", "broken link: too many levels of symbolic links"),
        ("dir/inner.py", "python"),
        ("dir/loop", "symlink-loop", "links to a directory that contains it"),
        ("out/o.py", "python"),
    ]


def test_followed_links_to_the_same_outside_dir_are_walked_once(links):
    (links / "out2").symlink_to("../outside")
    (links.parent / "outside" / "up").symlink_to("../tree")
    found = scan(links, "out", "out2", "../outside", follow_symlinks=True)
    assert found == [
        ("out/o.py", "python"), ("out/up", "symlink-loop", "links to a directory that contains it"),
    ]


def test_followed_link_from_outside_back_into_the_tree(links):
    (links.parent / "outside" / "back").symlink_to("../tree/dir")
    assert scan(links, "out", follow_symlinks=True) == [
        ("out/o.py", "python"), ("out/back/inner.py", "python"),
        ("out/back/loop", "symlink-loop", "links to a directory that contains it"),
    ]


def test_explicit_symlink_arguments_are_followed(links):
    assert scan(links, "a_link.py", "out", use_git=False) == [("a_link.py", "python"), ("out/o.py", "python")]


def test_symlinks_in_a_git_listing(links):
    git(links, "init", "-q")
    assert sorted(scan(links)) == [
        ("a_link.py", "symlink", "link to a file, not followed"),
        ("broken", "symlink", "broken link: no such file or directory"),
        ("dir/inner.py", "python"),
        ("dir/loop", "symlink", "link to a directory, not followed"),
        ("dirlink", "symlink", "link to a directory, not followed"),
        ("out", "symlink", "link to a directory, not followed"),
        ("real.py", "python"),
        ("self", "symlink", "broken link: too many levels of symbolic links"),
    ]
    assert sorted(scan(links, follow_symlinks=True)) == [
        ("a_link.py", "symlink", "target is inside the scanned tree"),
        ("broken", "symlink", "broken link: no such file or directory"),
        ("dir/inner.py", "python"),
        ("dir/loop", "symlink-loop", "links to a directory that contains it"),
        ("dirlink", "symlink", "target is inside the scanned tree"),
        ("out/o.py", "python"),
        ("real.py", "python"),
        ("self", "symlink-loop", "broken link: too many levels of symbolic links"),
    ]


def test_excluded_globs_silence_symlink_skips(links):
    assert scan(links, use_git=False, include=["*.py"], exclude=["dir*", "out"]) == [
        ("a_link.py", "symlink", "link to a file, not followed"),
        ("real.py", "python"),
    ]


# --- unreadable paths ------------------------------------------------------------------


def _deny(monkeypatch, function_name: str, denied: Path) -> None:
    """Make os.<function_name> raise EACCES for one path."""
    real = getattr(os, function_name)

    def fake(path, *args, **kwargs):
        if os.fspath(path) == str(denied):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, function_name, fake)


def test_unreadable_dir_is_a_skip_and_the_walk_goes_on(tmp_path, monkeypatch):
    write(tmp_path, {"a.py": "", "locked/b.py": "", "z/c.py": ""})
    _deny(monkeypatch, "scandir", tmp_path / "locked")
    assert scan(tmp_path, use_git=False) == [
        ("a.py", "python"), ("locked", "unreadable", "permission denied"), ("z/c.py", "python"),
    ]
    assert scan(tmp_path / "locked", ".", use_git=False) == [(".", "unreadable", "permission denied")]


def test_unreadable_file_is_a_skip(tmp_path, monkeypatch):
    write(tmp_path, {"a.py": "x = 1\n"})
    _deny(monkeypatch, "open", tmp_path / "a.py")
    denied = Skip("a.py", "unreadable", "permission denied")
    assert read_source(candidate(tmp_path / "a.py", "python")) == denied


@pytest.mark.skipif(AS_ROOT, reason="root reads and lists mode-000 paths, so chmod cannot deny access")
def test_unreadable_dir_and_file_with_chmod(tmp_path):
    write(tmp_path, {"a.py": "", "locked/b.py": "", "secret.py": ""})
    (tmp_path / "locked").chmod(0)
    (tmp_path / "secret.py").chmod(0)
    try:
        assert scan(tmp_path, use_git=False) == [
            ("a.py", "python"), ("secret.py", "python"), ("locked", "unreadable", "permission denied"),
        ]
        assert read_source(candidate(tmp_path / "secret.py")) == Skip(
            "secret.py", "unreadable", "permission denied"
        )
    finally:
        (tmp_path / "locked").chmod(0o755)
        (tmp_path / "secret.py").chmod(0o644)


# --- reading and decoding --------------------------------------------------------------


def read(tmp_path: Path, data: bytes, name: str = "f.py", **options) -> SourceFile | Skip:
    (tmp_path / name).write_bytes(data)
    return read_source(Candidate(name, str(tmp_path / name), "python"), **options)


def test_utf8_keeps_line_endings(tmp_path):
    assert read(tmp_path, b"a = 1\r\nb = 'caf\xc3\xa9'\rc = 3\n") == SourceFile(
        "f.py", str(tmp_path / "f.py"), "python", "a = 1\r\nb = 'café'\rc = 3\n", "utf-8"
    )


def test_empty_file(tmp_path):
    assert read(tmp_path, b"") == SourceFile("f.py", str(tmp_path / "f.py"), "python", "", "utf-8")


def test_utf8_bom_is_stripped(tmp_path):
    source = read(tmp_path, codecs.BOM_UTF8 + b"key = 'x'\r\n")
    assert (source.text, source.encoding) == ("key = 'x'\r\n", "utf-8-sig")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_text_despite_nul_bytes(tmp_path, codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    source = read(tmp_path, bom + "key = 'é'\r\n".encode(codec), name="c.ps1")
    assert (source.text, source.encoding) == ("key = 'é'\r\n", "utf-16")


def test_utf32_with_bom(tmp_path):
    source = read(tmp_path, codecs.BOM_UTF32_LE + "k = 1\n".encode("utf-32-le"))
    assert (source.text, source.encoding) == ("k = 1\n", "utf-32")


def test_nul_byte_means_binary_even_for_a_py_name(tmp_path):
    binary = Skip("f.py", "binary", "NUL byte in the first 8 KiB")
    assert read(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == binary
    assert read(tmp_path, codecs.BOM_UTF8 + b"a\x00b") == binary


def test_nul_byte_after_8_kib_is_not_binary(tmp_path):
    source = read(tmp_path, b"a" * 8192 + b"\x00")
    assert source.text == "a" * 8192 + "\x00"


def test_invalid_utf8_is_undecodable(tmp_path):
    assert read(tmp_path, b"key = 'abcd\xff'\n") == Skip(
        "f.py", "undecodable", "not UTF-8 or UTF-16 (byte 0xff at offset 11)"
    )
    assert read(tmp_path, b"caf\xe9 latin-1\n") == Skip(
        "f.py", "undecodable", "not UTF-8 or UTF-16 (byte 0xe9 at offset 3)"
    )


def test_invalid_utf16_after_bom_is_undecodable(tmp_path):
    assert read(tmp_path, codecs.BOM_UTF16_LE + b"a\x00b") == Skip(
        "f.py", "undecodable", "invalid UTF-16-LE after its byte-order mark (byte 0x62 at offset 4)"
    )


def test_too_large_file_is_skipped_without_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(5_200_000)

    def no_read(*args):
        raise AssertionError("the file was read")

    monkeypatch.setattr(discover.os, "read", no_read)  # opened for its fstat, never read
    assert read_source(candidate(big, "json")) == Skip("big.json", "too-large", "5.2 MB > 5.0 MB cap")


@pytest.mark.parametrize(
    ("size", "cap", "detail"),
    [(25, 10, "25 B > 10 B cap"), (1500, 1000, "1.5 kB > 1.0 kB cap"), (1001, 1000, "1001 B > 1000 B cap")],
)
def test_too_large_detail(tmp_path, size, cap, detail):
    assert read(tmp_path, b"a" * size, max_bytes=cap) == Skip("f.py", "too-large", detail)
    assert read(tmp_path, b"a" * cap, max_bytes=cap).text == "a" * cap


def test_vanished_file(tmp_path):
    write(tmp_path, {"a.py": ""})
    (found,) = iter_candidates(["a.py"], cwd=str(tmp_path))
    (tmp_path / "a.py").unlink()
    assert read_source(found) == Skip("a.py", "vanished", "deleted after it was listed")


def test_read_source_does_not_open_a_fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    assert read_source(candidate(tmp_path / "pipe")) == Skip("pipe", "unreadable", "not a regular file")


def test_the_walks_plain_file_shortcut_lists_what_the_general_path_lists(tmp_path):
    files = {"a.py": "", "b/c.yaml": "", "b/.env": "", "b/run": "#!/bin/sh\necho\n", "b/d/Dockerfile": "",
             "b/d/e.min.js": "", "x y/ü.md": "", ".hidden/f.json": "{}"}
    write(tmp_path / "repo", files)
    for cwd, root in [(tmp_path / "repo", "."), (tmp_path, "repo/b"), (tmp_path / "repo" / "b", str(tmp_path / "repo"))]:
        plain = list(iter_candidates([root], cwd=str(cwd), use_git=False))
        general = list(iter_candidates([root], cwd=str(cwd), use_git=False, include=("**",)))  # no shortcut
        assert plain == general and len(plain) in (5, len(files)), (cwd, root)
