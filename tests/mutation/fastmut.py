"""The quicker first pass (tests/mutation/SURVIVORS.md), many mutants in one pytest session.

mutmut's trampolines choose a function's mutant on each call from `MUTANT_UNDER_TEST`, so one
session can run the selected tests once per mutant without starting pytest again (Python, the
app and its migrated database are set up once, not once a mutant: a kill then takes about a
second, not ten). For each mutant the tests run in the order given, stopping at its first
failure. Run from `mutants/` after `mutmut run` has written it:

    cd mutants && ../.venv/bin/python -m pytest -q -p no:randomly -p tests.mutation.fastmut \\
        --rootdir=. --hypothesis-seed=0 --mutants-file NAMES --mutants-out VERDICTS TESTS...

(`--rootdir=.`: pytest takes its root from every argument that names an existing path, these
options' files too; without it, the test ids, and so `--deselect`, are relative to another
directory.)

NAMES holds a mutant's name a line (`survivors.py --not-run GLOB`); each verdict is appended to
VERDICTS as `NAME killed|passed SECONDS [the first test that failed]`. Two workers may share the
list (one given it reversed): each mutant is claimed by making a directory in `--lock-dir` first.

Guards against a verdict the pass itself made: the tests must pass twice with no mutant before
any mutant runs (so they pass when run again in one session), and once more after the last (no
mutant left anything behind that made a later one fail). Each test's own transaction is rolled
back as in any run (tests/conftest.py `db`). A mutant that runs longer than `--mutant-timeout`
is written down as `timeout` and ends the session (exit 75): start it again to go on. If the
tests fail with no mutant, nothing is judged and the session ends with exit 7.

mutmut does not record these verdicts; a mutant that passes here is a candidate, to be run against
the tests of what its module also changes, and then killed by a new test or explained.
"""

import os
import signal
import time

import pytest

TIMED_OUT = 75  # not one of pytest's own exit codes
UNSOUND = 7


class _FirstFailure:
    def __init__(self):
        self.nodeid = None

    def pytest_runtest_logreport(self, report):
        if report.failed and self.nodeid is None:
            self.nodeid = report.nodeid


def pytest_addoption(parser):
    group = parser.getgroup("fastmut", "many mutants in one session (tests/mutation/fastmut.py)")
    group.addoption("--mutants-file", help="the mutants to run, a name a line")
    group.addoption("--mutants-out", help="the file each verdict is appended to")
    group.addoption("--mutant-timeout", type=int, default=300, help="seconds a mutant may run")
    group.addoption("--lock-dir", default="/tmp/fastmut-locks",
                    help="where each mutant is claimed, so two workers share one list")


def _run_once(session, items, failure):
    """The tests once, in order, to the first failure: the failing test's id, or None."""
    failure.nodeid = None
    for i, item in enumerate(items):
        # After the last, the first is named next, so the session's fixtures stay set up; but not
        # when it is the only one: its own fixtures would stay set up too, test to test.
        nextitem = items[i + 1] if i + 1 < len(items) else (items[0] if len(items) > 1 else None)
        item._initrequest()  # a fresh fixture request each time the item runs
        item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        if failure.nodeid:
            session._setupstate.teardown_exact(items[0])
            return failure.nodeid
    return None


def _append(path, line):
    with open(path, "a") as out:
        out.write(line + "\n")


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    config = session.config
    names_file = config.getoption("--mutants-file")
    if not names_file:
        return None  # an ordinary run
    out = config.getoption("--mutants-out")
    timeout = config.getoption("--mutant-timeout")
    locks = config.getoption("--lock-dir")
    os.makedirs(locks, exist_ok=True)
    with open(names_file) as names:
        mutants = [line.strip() for line in names if line.strip()]
    items = session.items
    failure = _FirstFailure()
    config.pluginmanager.register(failure, "fastmut-first-failure")

    os.environ["MUTANT_UNDER_TEST"] = ""
    for clean in range(2):
        failed = _run_once(session, items, failure)
        if failed:
            session._setupstate.teardown_exact(None)
            _append(out, f"# with no mutant, run {clean + 1} failed at {failed}: nothing judged")
            pytest.exit(f"fastmut: with no mutant, run {clean + 1} failed at {failed}", UNSOUND)

    running = {}

    def timed_out(signum, frame):
        _append(out, f"{running['name']} timeout {timeout}")
        os._exit(TIMED_OUT)

    signal.signal(signal.SIGALRM, timed_out)
    for name in mutants:
        try:
            os.mkdir(os.path.join(locks, name))
        except FileExistsError:
            continue  # claimed by another worker, or by an earlier session
        running["name"] = name
        os.environ["MUTANT_UNDER_TEST"] = name
        start = time.monotonic()
        signal.alarm(timeout)
        failed = _run_once(session, items, failure)
        signal.alarm(0)
        verdict = "killed" if failed else "passed"
        _append(out, f"{name} {verdict} {time.monotonic() - start:.1f} {failed or ''}".rstrip())

    os.environ["MUTANT_UNDER_TEST"] = ""
    failed = _run_once(session, items, failure)
    _append(out, f"# with no mutant after the last: {'failed at ' + failed if failed else 'passed'}")
    session._setupstate.teardown_exact(None)
    return True
