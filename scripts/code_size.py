"""Module sizes and the longest functions under src/, measured with ``ast``.

Run from the repository root (any checkout, e.g. a ``git worktree`` of an older commit):

    python scripts/code_size.py            # the table of modules and the ten longest functions
    python scripts/code_size.py --top 20   # more functions
    python scripts/code_size.py --json     # machine-readable, to compare two checkouts

A module's size is its number of lines; a function's is ``end_lineno - lineno + 1`` of its
``def`` (decorators excluded, nested functions counted inside their parent and on their own);
"code" is the same without the docstring (a 100-line docstring over a 5-line body is not a
long function).
Function-local imports are counted too (imports inside a ``def``, outside ``TYPE_CHECKING``).
"""

from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path


def measure(root: Path) -> dict[str, object]:
    modules, functions, local_imports = {}, [], {}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root.parent).as_posix()
        text = path.read_text(encoding="utf-8")
        modules[name] = len(text.splitlines())
        tree = ast.parse(text)
        count = 0
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                functions.append((lines, lines - _docstring_lines(node), f"{name}::{node.name}"))
                count += sum(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(node))
        local_imports[name] = count
    functions.sort(key=lambda f: (-f[0], f[2]))
    return {"modules": modules, "functions": functions, "local_imports": local_imports}


def _docstring_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return first.end_lineno - first.lineno + 1  # type: ignore[operator]
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("src/auditlens"))
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    found = measure(args.src)
    if args.json:
        print(json.dumps(found, indent=1))
        return
    modules: dict[str, int] = found["modules"]  # type: ignore[assignment]
    local: dict[str, int] = found["local_imports"]  # type: ignore[assignment]
    print(f"{'lines':>6} {'local imports':>13}  module")
    for name, lines in sorted(modules.items(), key=lambda m: -m[1]):
        print(f"{lines:>6} {local[name]:>13}  {name}")
    print(f"{sum(modules.values()):>6} {sum(local.values()):>13}  total ({len(modules)} modules)")
    print(f"\n{'lines':>6} {'code':>5}  longest functions")
    for lines, code, name in found["functions"][: args.top]:  # type: ignore[index]
        print(f"{lines:>6} {code:>5}  {name}")


if __name__ == "__main__":
    main()
