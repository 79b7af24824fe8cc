"""The mutants `make mutate` left alive, one line each: file:line, mutant, the change.

Run from the project root after `make mutate` (it reads mutants/): the lines to explain in
tests/mutation/SURVIVORS.md, or to kill with a test. Counts per module are printed first.

`--not-run GLOB ...` prints instead the names of the mutants matching a glob that have no verdict
yet, to go on with a stopped run: `make mutate MUTANTS="$(.venv/bin/python
tests/mutation/survivors.py --not-run 'api.domain.contacts.*')"`. (Named by a glob, mutmut runs
every matching mutant again, those already judged too.)
"""

import ast
import fnmatch
import re
import sys
from collections import Counter
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files
from mutmut.utils.format_utils import orig_function_and_class_names_from_key

HUNK = re.compile(r"^@@ -(\d+)")


def function_lines(path):
    """{(class name or None, function name): line of its def} in the original source."""
    lines = {}
    for node in ast.parse(Path(path).read_text()).body:
        if isinstance(node, ast.FunctionDef):
            lines[(None, node.name)] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    lines[(node.name, item.name)] = item.lineno
    return lines


def change(name, path, lines):
    """(line in the source file, removed text, added text) of one mutant."""
    function, class_name = orig_function_and_class_names_from_key(name)
    start = lines[(class_name, function)]
    diff = get_diff_for_mutant(name, path=path).splitlines()
    removed, added, line = [], [], None
    offset = 0
    for text in diff[2:]:
        if match := HUNK.match(text):
            offset = int(match.group(1)) - 1
            continue
        if text.startswith("-"):
            line = line or start + offset
            removed.append(text[1:].strip())
        elif text.startswith("+"):
            added.append(text[1:].strip())
        if not text.startswith("+"):
            offset += 1
    return line, " ".join(removed), " ".join(added)


def not_run(globs):
    """The names of the mutants matching any of `globs` that mutmut has not judged."""
    names = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        names += [
            name for name, code in data.exit_code_by_key.items()
            if code is None and any(fnmatch.fnmatchcase(name, glob) for glob in globs)
        ]
    return names


def main(argv):
    if argv[:1] == ["--not-run"]:
        print(" ".join(not_run(argv[1:])))
        return 0
    totals = {}
    alive = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        counts = Counter(status_by_exit_code[code] for code in data.exit_code_by_key.values())
        if not counts or set(counts) == {"not checked"}:
            continue
        totals[str(path)] = counts
        lines = function_lines(path)
        for name, code in data.exit_code_by_key.items():
            status = status_by_exit_code[code]
            if status not in ("killed", "not checked"):
                alive.append((str(path), status, name, *change(name, path, lines)))
    for path, counts in sorted(totals.items()):
        print(path, dict(sorted(counts.items())))
    print()
    for path, status, name, line, removed, added in sorted(alive, key=lambda a: (a[0], a[3] or 0)):
        print(f"{path}:{line} [{status}] {name.rpartition('.')[2]}: `{removed}` -> `{added}`")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
