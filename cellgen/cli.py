"""`cellgen build | check | show`: the command line.

Exit codes: 0 success, 1 a spec is wrong or a gradient check disagrees, 2 bad usage.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import SpecError
from .pipeline import compile_spec, read_spec, write_atomic

EXAMPLES = """examples:
  cellgen build specs/*.cell              write generated/NAME.py for each spec
  cellgen build my.cell -o build/         write build/my.py
  cellgen build --check specs/*.cell      exit 1 with a diff when generated/ is stale
  cellgen check specs/gru.cell            finite-difference check of every gradient
  cellgen show specs/lstm.cell            forward and derived backward equations
  cellgen show --format latex specs/gru.cell
  cellgen show --graph specs/gru_cho.cell | dot -Tpng -o gru_cho.png

exit codes: 0 success; 1 a spec is wrong or a gradient disagrees; 2 bad usage
"""


def _compile_all(paths: list[str]):
    """Compile every spec before anything is written, so one bad spec changes nothing."""
    compiled, failed = [], False
    for path in paths:
        try:
            compiled.append((path, compile_spec(read_spec(path), path)))
            for w in compiled[-1][1].cell.warnings:  # it compiles; it may not say what was meant
                print(w.format(), file=sys.stderr)
        except SpecError as e:
            print(str(e), file=sys.stderr)
            failed = True
    return compiled, failed


def cmd_build(args) -> int:
    compiled, failed = _compile_all(args.specs)
    if failed:
        return 1
    names = {}
    for path, c in compiled:
        if c.cell.name in names:
            print(f"{path}:1:1: error: cell name '{c.cell.name}' is also built from {names[c.cell.name]}",
                  file=sys.stderr)
            return 1
        names[c.cell.name] = path
    out = Path(args.output)
    if args.check:
        return _check_up_to_date(out, compiled)
    for path, c in compiled:
        target = out / f"{c.cell.name}.py"
        changed = write_atomic(target, c.source)
        if args.verbose:
            print(f"{target} {'written' if changed else 'unchanged'}")
    return 0


def _check_up_to_date(out: Path, compiled) -> int:
    """Exit 1 with a unified diff per module that differs from what the specs build; write nothing."""
    import difflib
    stale = 0
    for path, c in compiled:
        target = out / f"{c.cell.name}.py"
        try:
            current = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current == c.source:
            continue
        stale += 1
        before = [] if current is None else current.splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(before, c.source.splitlines(keepends=True),
                                                   f"{target} (on disk)", f"{target} (built from {path})"))
    if stale:
        print(f"{stale} of {len(compiled)} modules in {out} are stale: run `cellgen build` "
              f"with the same specs and -o {out}", file=sys.stderr)
    return 1 if stale else 0


def cmd_show(args) -> int:
    from .backend import show
    render = show.as_dot if args.graph else {"text": show.as_text, "latex": show.as_latex,
                                             "markdown": show.as_markdown}[args.format]
    compiled, failed = _compile_all(args.specs)
    text = "\n".join(render(c.plan) for _, c in compiled)
    print(text, end="" if text.endswith("\n") or not text else "\n")
    return 1 if failed else 0


def cmd_check(args) -> int:
    from .gradcheck import check_module, format_table
    compiled, failed = _compile_all(args.specs)
    for path, c in compiled:
        rows = check_module(c.source, c.cell.name, seed=args.seed)
        print(format_table(c.cell.name, rows, c.cell.sizes))
        if any(not r.ok for r in rows):
            failed = True
    return 1 if failed else 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cellgen", description="Compile recurrent-cell equations (.cell files) into Numba modules "
                                    "with derived BPTT gradients.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"cellgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="compile specs into modules")
    b.add_argument("specs", nargs="+", metavar="SPEC")
    b.add_argument("-o", "--output", default="generated", metavar="DIR", help="output folder (default: generated)")
    b.add_argument("-v", "--verbose", action="store_true", help="name each file written")
    b.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 and print a unified diff when DIR's modules are stale")
    b.set_defaults(run=cmd_build)
    c = sub.add_parser("check", help="check the derived gradients against finite differences")
    c.add_argument("specs", nargs="+", metavar="SPEC")
    c.add_argument("--seed", type=int, default=0)
    c.set_defaults(run=cmd_check)
    s = sub.add_parser("show", help="print the forward and derived backward equations")
    s.add_argument("specs", nargs="+", metavar="SPEC")
    s.add_argument("--format", choices=("text", "latex", "markdown"), default="text")
    s.add_argument("--graph", action="store_true", help="the step's stages as a Graphviz dot graph")
    s.set_defaults(run=cmd_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
