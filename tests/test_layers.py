"""The import graph, drawn from the code: every module's imports (at the top, in functions, for type
checking) point to its own layer or one it may use, and no import goes round in a cycle. Plots, pages and
the terminal never load the simulation; metrics read records whose types live beside the records; demand
and declarations never import the model.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent

# Layer of each module, by its longest matching prefix; a layer may import itself and those listed.
LAYERS = {
    "declarations": ("sim", "sim.version", "sim.units", "sim.errors", "sim.files", "sim.streams", "sim.statistics",
                     "sim.profiles", "sim.kpis", "sim.fonts", "sim.distributions", "sim.scenario", "sim.channels",
                     "sim.rates", "sim.orders", "sim.costs", "sim.contacts", "sim.records", "sim.ceilings",
                     "sim.lint", "sim.workload", "sim.schema"),
    "demand": ("sim.arrivals", "sim.attendance", "sim.call_lists", "sim.routing"),
    "model": ("sim.engine", "sim.components", "sim.agents", "sim.waiting", "sim.conversations", "sim.later_contacts",
              "sim.outbound"),
    "presentation": ("sim.report", "sim.html_report", "sim.pages", "sim.console", "sim.verdicts", "sim.outputs",
                     "sim.workbook", "calibration.report"),
    "measurement": ("sim.metrics", "sim.store", "sim.results"),
    "running": ("sim.runner", "sim.comparison", "sim.sweep", "sim.staffing", "sim.rosters", "calibration"),
    "cli": ("sim.cli",),
}
MAY_USE = {
    "declarations": set(),
    "demand": {"declarations"},
    "model": {"declarations", "demand"},
    "presentation": {"declarations"},
    "measurement": {"declarations", "presentation"},
    "running": {"declarations", "demand", "model", "presentation", "measurement"},
    "cli": set(LAYERS),
}


def modules() -> dict[str, Path]:
    found = {}
    for package in ("sim", "calibration"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path], typing: bool = True) -> set[str]:
    """The project's modules ``name`` imports, with ``from sim import X`` and ``sim.X`` resolved through
    the package's lazy names (``sim._HOMES``) to the module that defines X; ``typing``: also those
    imported only for type checking (``if TYPE_CHECKING:``).
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if not typing:
        tree.body = [node for node in tree.body
                     if not (isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING",
                                                                                      "typing.TYPE_CHECKING"))]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[:len(package.split(".")) - node.level + 1], *filter(None, [base])])
            for alias in node.names:          # a module of a package, or a name of the module
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
                if base == "sim" and alias.name in sim._HOMES:
                    found.add(sim._HOMES[alias.name])
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sim"
              and node.attr in sim._HOMES):
            found.add(sim._HOMES[node.attr])
    return {module for module in found if module in known and module != name}


def layer_of(name: str) -> str:
    """The layer listing the module, or the package holding it (the top package ``sim`` holds none)."""
    matches = [(len(prefix), layer) for layer, prefixes in LAYERS.items() for prefix in prefixes
               if name == prefix or (name.startswith(prefix + ".") and prefix != "sim")]
    assert matches, f"{name} has no layer: add it to LAYERS"
    return max(matches)[1]


def graph(typing: bool = True) -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known, typing) for name, path in known.items()}


def test_no_module_imports_a_layer_above_its_own():
    upward = sorted(f"{name} ({layer_of(name)}) imports {target} ({layer_of(target)})"
                    for name, targets in graph().items() for target in targets
                    if layer_of(target) != layer_of(name) and layer_of(target) not in MAY_USE[layer_of(name)])
    assert upward == []


def test_no_import_cycle():
    """Among the imports that run (a component and the protocol it implements may name each other's
    types for the type checker)."""
    edges = graph(typing=False)
    cycles, state = [], {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_graph_sees_lazy_and_relative_imports():
    """The checks above would pass on an empty graph: a known import of each kind is found."""
    edges = graph()
    assert "sim.engine" in edges["sim.runner"]                  # from sim.engine import Model
    assert "sim.runner" in edges["sim.comparison"]              # a name of the package: sim.simulate
    assert "sim.metrics" in edges["calibration.backtest"]       # from sim import metrics
    assert "calibration.calibrate" in edges["calibration"]      # a package's relative import
    assert "sim.components" in edges["sim.agents"]              # for the type checker
    assert "sim.components" not in graph(typing=False)["sim.agents"]


PUBLIC_DESPITE_THE_UNDERSCORE = {"os._exit"}      # documented: exit without cleanup (a worker whose parent died)


def test_no_private_attribute_of_another_object():
    """Code reads private attributes (``x._name``, or ``getattr(x, "_name")``) only of its own object: not of
    SimPy's, the standard library's or another part's."""
    found = []
    for path in sorted([*(ROOT / "sim").rglob("*.py"), *(ROOT / "calibration").rglob("*.py"),
                        *(ROOT / "benchmarks").glob("*.py"), ROOT / "run.py"]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute):
                name, owner = node.attr, node.value
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr",
                  "hasattr", "setattr") and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                name, owner = str(node.args[1].value), node.args[0]
            else:
                continue
            if (name.startswith("_") and not name.startswith("__")
                    and not (isinstance(owner, ast.Name) and owner.id in ("self", "cls"))
                    and ast.unparse(node) not in PUBLIC_DESPITE_THE_UNDERSCORE):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []
