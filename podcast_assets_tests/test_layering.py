"""The house rules, checked: logic modules take data (no Dagster, no resources), and importing does nothing."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "podcast_assets"
STAGES = ("ingest", "transcripts", "similarities", "search", "events", "recommendations")
DAGSTER_MODULES = ("assets", "sensors", "checks")  # the only modules of a stage that may import Dagster


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def imports_of(path: Path) -> set[str]:
    """Every module an import statement anywhere in the file names (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def logic_modules() -> list[str]:
    names = [m for m in GRAPH if m.count(".") == 2 and m.split(".")[1] in STAGES + ("common",)]
    return sorted(m for m in names if m.rsplit(".", 1)[1] not in DAGSTER_MODULES)


def forbidden(name: str) -> bool:
    return (name == "dagster" or name.startswith(("dagster.", "dagster_", "podcast_assets.resources.")) or name == "podcast_assets.resources")


def reached(module: str) -> dict[str, str]:
    """Every module reachable from ``module`` through the project's imports, with the module that imports it."""
    seen, todo = {module: ""}, [module]
    while todo:
        current = todo.pop()
        for name in GRAPH.get(current, ()):
            if name not in seen:
                seen[name] = current
                if name in GRAPH:
                    todo.append(name)
    return seen


def test_the_stages_and_their_logic_modules_exist():
    assert {m.split(".")[1] for m in logic_modules()} == {*STAGES, "common"}
    assert len(logic_modules()) >= 25


@pytest.mark.parametrize("module", logic_modules())
def test_logic_modules_import_neither_dagster_nor_resources(module):
    bad = {name: via for name, via in reached(module).items() if forbidden(name)}
    assert not bad, f"{module} reaches {sorted(bad)} (imported by {sorted(set(bad.values()))})"


def test_the_rule_is_not_vacuous():
    # the asset modules do reach Dagster and the resources: the check above would see a logic module that did
    assert any(forbidden(n) for n in reached("podcast_assets.transcripts.assets"))
    assert any(n.startswith("podcast_assets.resources") for n in reached("podcast_assets.recommendations.assets"))


def test_importing_every_logic_module_loads_no_dagster():
    code = ("import importlib, json, sys\n"
            f"for m in {logic_modules()!r}: importlib.import_module(m)\n"
            "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0].startswith('dagster')"
            " or n.startswith('podcast_assets.resources'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.splitlines()[-1]) == []


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*")}


PROBE = """
import json, multiprocessing, os, threading
before = dict(os.environ)
import podcast_assets.definitions as d
print(json.dumps({"environ_unchanged": before == dict(os.environ), "assets": len(list(d.defs.assets)),
                  "children": len(multiprocessing.active_children()), "threads": threading.active_count()}))
"""


@pytest.mark.parametrize("with_home", [False, True], ids=["empty-environment", "only-HOME"])
def test_importing_the_definitions_does_nothing(tmp_path, with_home):
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    env = {"HOME": str(home)} if with_home else {}
    before_cwd, before_home = snapshot(cwd), snapshot(home)
    os.chmod(cwd, 0o555)  # read-only (root may still write: the snapshots are what prove it)
    try:
        out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300,
                             cwd=cwd, env=env)
    finally:
        os.chmod(cwd, 0o755)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.splitlines()[-1])
    assert report["environ_unchanged"] and report["assets"] == 18
    assert report["children"] == 0 and report["threads"] == 1
    assert snapshot(cwd) == before_cwd and not (cwd / "data").exists()
    assert snapshot(home) == before_home
