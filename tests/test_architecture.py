"""Architecture guards: the import graph, the layers and the size of the source.

Everything here reads the source with :mod:`ast`; no module of the package is
imported. The import graph has one node per module (a package is its
``__init__``) and one edge per module an import statement names, wherever the
statement sits (module level, inside a function, under ``if TYPE_CHECKING``).
Importing ``p.m`` does not add edges to the ``__init__`` of ``p``: Python runs it,
but a submodule always loads while its package is being imported, so such
edges would make every re-export look like a cycle.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "src" / "reasoningbank"
DESIGN = ROOT / "docs" / "design.md"

MAX_FILE_LINES = 400
MAX_ROOT_MODULES = 7  # plain modules at the package root besides __init__ and __main__: the core
MAX_FUNCTION_LINES = 60

# Layer 3 takes any plain module directly in reasoningbank/ that no other pattern names.
OTHER_ROOT_MODULE = "<any other module at the package root>"

# The layers of reasoningbank, lowest first. A module may import from its own layer and the layers
# below it, never from a layer above. "x" names module x only, "x.*" package x and everything in it,
# "x*" every module whose dotted name starts with x. A module that matches no pattern fails the test.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # 1. data model, settings, prompt templates, pure text helpers
    (
        "model",
        ("reasoningbank.models", "reasoningbank.config.*", "reasoningbank.prompts.*", "reasoningbank.text.*"),
    ),
    # 2. the seams to the outside: language models, embedders, stores, trajectory files
    (
        "seams",
        (
            "reasoningbank.llm.*",
            "reasoningbank.embed.*",
            "reasoningbank.stores.*",
            "reasoningbank.trajio",
            "reasoningbank.trajio.*",
        ),
    ),
    # 3. the memory loop's parts
    (
        "core",
        (
            "reasoningbank.judge*",
            "reasoningbank.extract*",
            "reasoningbank.learning*",
            "reasoningbank.records*",
            "reasoningbank.consolidate",
            "reasoningbank.retrieve",
            OTHER_ROOT_MODULE,
        ),
    ),
    # 4. the facade users import
    ("facade", ("reasoningbank.bank", "reasoningbank.scaling*", "reasoningbank")),
    # 5. helpers for users' tests
    ("testing", ("reasoningbank.testing.*",)),
    # 6. the MiniWoB++ benchmark harness: agent, environments, runs, reports
    ("bench", ("reasoningbank.bench.*",)),
    # 7. network front ends
    ("server", ("reasoningbank.server.*",)),
    # 8. the command line
    ("cli", ("reasoningbank.cli.*", "reasoningbank.__main__")),
)
LIBRARY_LAYERS = 4  # layers 1-4 are the library proper: no browsers, benchmarks or servers there
FORBIDDEN_IN_LIBRARY = frozenset({"selenium", "gymnasium", "miniwob", "fastapi", "mcp", "uvicorn"})
APPLICATIONS = frozenset({"bench", "server", "cli"})  # subpackages built on the library


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool


@dataclass
class Imports:
    internal: set[str]  # modules of the package, as graph nodes
    external: set[str]  # top-level names of everything else


# -- reading the source ------------------------------------------------------------------------------
def discover(package_dir: Path) -> dict[str, Module]:
    """Every module of the package in ``package_dir``, by dotted name."""
    base = package_dir.parent
    found: dict[str, Module] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = Module(".".join(parts), path, is_package)
    return found


def _known(name: str, modules: dict[str, Module]) -> str | None:
    """``name`` or its longest prefix that is a module of the package."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def _from_base(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.name.split(".") if module.is_package else module.name.split(".")[:-1]
    if node.level - 1 >= len(package):
        raise ValueError(f"{module.name}: relative import beyond the top-level package")
    parts = package[: len(package) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def imports_of(module: Module, modules: dict[str, Module]) -> Imports:
    """What ``module`` imports, from every import statement in it."""
    out = Imports(set(), set())
    top = next(iter(modules)).split(".")[0]

    def add(target: str) -> None:
        if target.split(".")[0] != top:
            out.external.add(target.split(".")[0])
        elif (hit := _known(target, modules)) is not None:
            out.internal.add(hit)

    for node in ast.walk(ast.parse(module.path.read_text(encoding="utf-8"), str(module.path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(module, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in modules else base)
    out.internal.discard(module.name)
    return out


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    modules = discover(package_dir)
    return {name: imports_of(mod, modules).internal for name, mod in modules.items()}


def _components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One shortest cycle per tangle of modules, as ``[a, b, ..., a]``."""
    cycles: list[list[str]] = []
    for comp in _components(graph):
        members = set(comp)
        start = comp[0]
        if len(comp) == 1 and start not in graph.get(start, ()):
            continue
        prev: dict[str, str] = {}
        queue = deque([start])
        while queue:
            v = queue.popleft()
            if start in graph.get(v, ()):
                path = [v]
                while path[-1] != start:
                    path.append(prev[path[-1]])
                cycles.append([start, *reversed(path[:-1]), start])
                break
            for w in sorted(graph.get(v, set()) & members):
                if w not in prev and w != start:
                    prev[w] = v
                    queue.append(w)
    return sorted(cycles)


# -- layers ------------------------------------------------------------------------------------------
def _matches(pattern: str, module: Module) -> bool:
    if pattern == OTHER_ROOT_MODULE:
        return False
    if pattern.endswith(".*"):
        return module.name == pattern[:-2] or module.name.startswith(pattern[:-1])
    if pattern.endswith("*"):
        return module.name.startswith(pattern[:-1])
    return module.name == pattern


def layers_of(module: Module) -> list[int]:
    """The 1-based layers whose patterns match ``module`` (exactly one when the table is right)."""
    hits = [n for n, (_, pats) in enumerate(LAYERS, 1) if any(_matches(p, module) for p in pats)]
    if not hits and not module.is_package and module.name.count(".") == 1:
        hits = [n for n, (_, pats) in enumerate(LAYERS, 1) if OTHER_ROOT_MODULE in pats]
    return hits


def _subsystem(name: str) -> str:
    """``bench`` for ``reasoningbank.bench.runner``; empty for the package itself."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


# -- sizes -------------------------------------------------------------------------------------------
def function_lengths(tree: ast.AST, prefix: str) -> Iterator[tuple[str, int]]:
    """``(qualified name, lines from def to end)`` of every function, method and nested function."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}.{node.name}"
            yield name, (node.end_lineno or node.lineno) - node.lineno + 1
            yield from function_lengths(node, name)
        elif isinstance(node, ast.ClassDef):
            yield from function_lengths(node, f"{prefix}.{node.name}")
        else:
            yield from function_lengths(node, prefix)


_ENTRY_RE = re.compile(r"^- `([\w.]+)`: *(\S.*)$")


def allowed_long_functions(design_text: str) -> dict[str, str]:
    """``{qualified name: reason}`` from the "## Long functions" section of the design notes.

    Raises ``ValueError`` for a bullet in that section that does not have the form
    ``- `reasoningbank.module.function`: reason``.
    """
    out: dict[str, str] = {}
    inside = False
    for line in design_text.splitlines():
        if line.startswith("## "):
            inside = line.rstrip() == "## Long functions"
            continue
        if inside and line.startswith("- "):
            m = _ENTRY_RE.match(line.rstrip())
            if m is None:
                raise ValueError(f"malformed entry in '## Long functions': {line!r}")
            out[m.group(1)] = m.group(2)
    return out


# -- the checkers, tested on small synthetic packages ---------------------------------------------------
def _write_package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


_ACYCLIC = {
    # the facade re-exports from a module that uses a subpackage that re-exports its own module
    "pkg/__init__.py": "from .bank import Bank\nfrom .llm import LLM\n",
    "pkg/bank.py": "from .llm import LLM\nfrom . import models\n\nclass Bank: ...\n",
    "pkg/models.py": "import json\n",
    "pkg/llm/__init__.py": "from .base import LLM\n",
    "pkg/llm/base.py": (
        "from typing import TYPE_CHECKING\nfrom ..models import x\nimport pkg.models\n"
        "if TYPE_CHECKING:\n    from selenium import webdriver\n\nclass LLM: ...\n"
    ),
    "pkg/llm/extra.py": "def f():\n    from .. import bank\n",
}


def test_graph_resolves_relative_imports_to_modules(tmp_path: Path) -> None:
    graph = import_graph(_write_package(tmp_path, _ACYCLIC))
    assert graph == {
        "pkg": {"pkg.bank", "pkg.llm"},
        "pkg.bank": {"pkg.llm", "pkg.models"},
        "pkg.models": set(),
        "pkg.llm": {"pkg.llm.base"},
        "pkg.llm.base": {"pkg.models"},
        "pkg.llm.extra": {"pkg.bank"},  # an import inside a function counts
    }
    modules = discover(tmp_path / "pkg")
    assert imports_of(modules["pkg.llm.base"], modules).external == {"typing", "selenium"}
    assert find_cycles(graph) == []


@pytest.mark.parametrize(
    ("extra", "cycle"),
    [
        # a TYPE_CHECKING import counts
        (
            {"pkg/models.py": "import typing\nif typing.TYPE_CHECKING:\n    from .bank import Bank\n"},
            ["pkg.bank", "pkg.models", "pkg.bank"],
        ),
        # a subpackage's module importing the facade that (indirectly) imports it
        ({"pkg/llm/base.py": "from pkg import Bank\n"}, ["pkg", "pkg.llm", "pkg.llm.base", "pkg"]),
        # a module importing itself through its package's name
        ({"pkg/solo.py": "from pkg import solo\n"}, []),
        ({"pkg/solo.py": "import os\n\ndef f():\n    from . import models, solo\n"}, []),
    ],
)
def test_cycle_is_found_and_named(tmp_path: Path, extra: dict[str, str], cycle: list[str]) -> None:
    graph = import_graph(_write_package(tmp_path, {**_ACYCLIC, **extra}))
    assert find_cycles(graph) == ([cycle] if cycle else [])


def test_find_cycles_reports_each_tangle_and_self_loops() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"g"}, "g": {"f"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["e", "e"], ["f", "g", "f"]]


def test_layer_patterns() -> None:
    def layer(name: str, is_package: bool = False) -> list[int]:
        return layers_of(Module(name, Path(name), is_package))

    assert layer("reasoningbank.text", is_package=True) == [1]
    assert layer("reasoningbank.stores.sqlite") == [2]
    assert layer("reasoningbank.judge") == layer("reasoningbank.judge_paper") == [3]
    assert layer("reasoningbank.newthing") == [3]  # a plain root module is core
    assert layer("reasoningbank.newpkg", is_package=True) == []  # a new package must be placed
    assert layer("reasoningbank.newpkg.mod") == []
    assert layer("reasoningbank", is_package=True) == [4]
    assert layer("reasoningbank.scaling") == [4]
    assert layer("reasoningbank.__main__") == [8]


def test_long_function_section_is_parsed() -> None:
    text = (
        "# Notes\n\n## Long functions\n\nIntro line.\n\n"
        "- `reasoningbank.a.f`: a table of cases\n- `reasoningbank.b.C.m`: one state machine\n\n"
        "## Other\n\n- `reasoningbank.c.g`: not in the section\n"
    )
    assert allowed_long_functions(text) == {
        "reasoningbank.a.f": "a table of cases",
        "reasoningbank.b.C.m": "one state machine",
    }
    with pytest.raises(ValueError, match="malformed"):
        allowed_long_functions("## Long functions\n- reasoningbank.a.f without backticks\n")
    with pytest.raises(ValueError, match="malformed"):
        allowed_long_functions("## Long functions\n- `reasoningbank.a.f`:\n")


def test_function_lengths_exclude_decorators_and_name_methods() -> None:
    tree = ast.parse(
        "@dec\n@dec2\ndef f():\n    def inner():\n        pass\n\nclass C:\n    def m(self):\n        x = 1\n"
    )
    assert dict(function_lengths(tree, "mod")) == {"mod.f": 3, "mod.f.inner": 2, "mod.C.m": 2}


# -- the real package --------------------------------------------------------------------------------
MODULES = discover(PACKAGE_DIR)


def test_no_import_cycles() -> None:
    cycles = find_cycles(import_graph(PACKAGE_DIR))
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_module_has_exactly_one_layer() -> None:
    unplaced = sorted(m.name for m in MODULES.values() if not layers_of(m))
    ambiguous = sorted(f"{m.name}: {layers_of(m)}" for m in MODULES.values() if len(layers_of(m)) > 1)
    assert unplaced == [], f"add these modules to a layer in LAYERS: {unplaced}"
    assert ambiguous == [], f"these modules match several layers: {ambiguous}"


def _layer(mod: Module) -> int | None:
    """The module's layer, or None when it has none or several (another test reports those)."""
    found = layers_of(mod)
    return found[0] if len(found) == 1 else None


def test_no_module_imports_a_higher_layer() -> None:
    bad: list[str] = []
    for mod in MODULES.values():
        if (mine := _layer(mod)) is None:
            continue
        for target in sorted(imports_of(mod, MODULES).internal):
            theirs = _layer(MODULES[target])
            if theirs is not None and theirs > mine:
                bad.append(f"{mod.name} ({LAYERS[mine - 1][0]}) imports {target} ({LAYERS[theirs - 1][0]})")
    assert bad == [], "imports from a higher layer:\n" + "\n".join(bad)


def test_library_layers_know_nothing_of_browsers_benchmarks_or_servers() -> None:
    bad: list[str] = []
    for mod in MODULES.values():
        if (layer := _layer(mod)) is None or layer > LIBRARY_LAYERS:
            continue
        found = imports_of(mod, MODULES)
        bad += [f"{mod.name} imports {x}" for x in sorted(found.external & FORBIDDEN_IN_LIBRARY)]
        bad += [f"{mod.name} imports {x}" for x in sorted(found.internal) if _subsystem(x) in APPLICATIONS]
    assert bad == [], "\n".join(bad)


def test_source_files_are_short() -> None:
    long = {
        str(m.path.relative_to(ROOT)): n
        for m in MODULES.values()
        if (n := len(m.path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert long == {}, f"files over {MAX_FILE_LINES} lines (split them): {long}"


def test_functions_are_short_unless_listed_with_a_reason() -> None:
    allowed = allowed_long_functions(DESIGN.read_text(encoding="utf-8"))
    lengths: dict[str, int] = {}
    for mod in MODULES.values():
        tree = ast.parse(mod.path.read_text(encoding="utf-8"), str(mod.path))
        lengths.update(function_lengths(tree, mod.name))
    long = {name: n for name, n in lengths.items() if n > MAX_FUNCTION_LINES and name not in allowed}
    stale = sorted(name for name in allowed if lengths.get(name, 0) <= MAX_FUNCTION_LINES)
    assert long == {}, (
        f"functions over {MAX_FUNCTION_LINES} lines: {long}; split them or list them with a reason "
        f"under '## Long functions' in docs/design.md"
    )
    assert stale == [], f"listed under '## Long functions' but missing or short now: {stale}"


def root_modules(package_dir: Path) -> list[str]:
    """The plain modules at the package root, besides ``__init__`` and ``__main__``."""
    return sorted(p.stem for p in package_dir.glob("*.py") if p.stem not in ("__init__", "__main__"))


def map_block(design_text: str) -> str:
    """The first code block under "## The map" in the design notes."""
    section = design_text.split("## The map", 1)[1]
    return section.split("```", 2)[1]


def test_package_root_holds_only_the_core() -> None:
    found = root_modules(PACKAGE_DIR)
    assert len(found) <= MAX_ROOT_MODULES, (
        f"{len(found)} modules at the package root (at most {MAX_ROOT_MODULES}): {found}; "
        "put a stage's modules in its folder"
    )


def test_design_map_names_every_root_module_and_folder() -> None:
    block = map_block(DESIGN.read_text(encoding="utf-8"))
    names = set(re.findall(r"[\w]+(?:\.py|/)", block))
    here = {f"{m}.py" for m in root_modules(PACKAGE_DIR)} | {
        f"{p.name}/" for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").exists()
    }
    assert here - names == set(), f"docs/design.md's map does not name {sorted(here - names)}"
    gone = {n for n in names if n.endswith(".py") and n not in here and "/" not in n} - {"__init__.py"}
    assert gone == set(), f"docs/design.md's map names root modules that do not exist: {sorted(gone)}"


def test_every_folder_has_a_readme_naming_its_modules() -> None:
    """Each folder of the package says in a short README.md what each of its modules does."""
    missing: list[str] = []
    for init in sorted(PACKAGE_DIR.rglob("__init__.py")):
        folder = init.parent
        readme = folder / "README.md"
        if not readme.exists():
            missing.append(f"{folder.relative_to(ROOT)}/README.md")
            continue
        text = readme.read_text(encoding="utf-8")
        entries = [p.name for p in folder.glob("*.py") if p.stem != "__init__"]
        entries += [f"{p.name}/" for p in folder.iterdir() if (p / "__init__.py").exists()]
        missing += [f"{readme.relative_to(ROOT)}: {e}" for e in sorted(entries) if f"`{e}`" not in text]
    assert missing == [], "folders whose README.md does not name a module (as `name.py`):\n" + "\n".join(
        missing
    )
