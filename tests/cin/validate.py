#!/usr/bin/env python3
"""Validate a DfE Children in Need (CIN) census XML file with csc-validator-be-cin.

Usage:
    .venv/bin/python validate.py FILE.xml [--ruleset cin2026_27] [--details] [--json]
                                          [--fail-on-query] [--allow-rule-crash]

Runs the package's rules in-process (cin_validator.cin_validator.CinValidator, the same
code path as `python -m cin_validator run`) and prints, for each rule that fired, its
code, type (ERROR/QUERY), description and the number of failures.

Why not just the package CLI?  `python -m cin_validator run` (cin_validator/__main__.py)
prints only `validator.full_issue_df`: it hides return-level (LA-level) rules and Header
rules such as 100 (they live in `validator.multichild_issues`), its `rule_type` column is
the *location* type 0-3, not ERROR/QUERY, it defaults to the old cin2024_25 ruleset, it
always exits 0, and a rule that raises an exception is only printed and then counted as
passed (cin_validator/cin_validator.py, CinValidator.create_issue_report_df).

Exit codes:
    0  no ERROR-type rule failed (QUERY rules may have fired)
    1  at least one ERROR-type rule failed (or a QUERY one, with --fail-on-query)
    2  the harness could not validate: unreadable/unsupported XML, unknown ruleset,
       or a rule crashed (a crashed rule has NOT checked your data; --allow-rule-crash
       turns this into a warning).  In 0.1.13 rules 8614, 8897Q and 8898 crash exactly
       when assessment factors are wrong, so a crash there usually means bad data.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import pkgutil
import re
import sys
import warnings
import xml.etree.ElementTree as ET

EXIT_OK, EXIT_ERRORS, EXIT_HARNESS = 0, 1, 2
RULESET_RE = re.compile(r"^cin(\d{4})_(\d{2})$")


def available_rulesets() -> list[str]:
    """Ruleset packages shipped in cin_validator/rules, oldest first (e.g. cin2022_23)."""
    import cin_validator.rules as rules_pkg

    names = [m.name for m in pkgutil.iter_modules(rules_pkg.__path__) if m.ispkg]
    return sorted(n for n in names if RULESET_RE.match(n))


def ruleset_for_year(year: str) -> str:
    """Header <Year> is the census year end: 2027 -> cin2026_27 (rules/ruleset_utils.py)."""
    y = int(year)
    return f"cin{y - 1}_{str(y)[2:4]}"


def load_registry(ruleset: str) -> dict:
    module = importlib.import_module(f"cin_validator.rules.{ruleset}")
    return getattr(module, "registry")


def _raw_instances(ctx) -> tuple[int, set]:
    """How many failure instances a rule pushed, read from the RuleContext before the
    package turns them into location tables (rule_engine/__context.py), plus the first
    element of each ERROR_ID tuple (by the package's convention usually the LAchildID)."""
    n = len(ctx.issues)
    frames = []
    t1 = ctx.type1_issues
    if not isinstance(t1, list):
        n += len(t1.row_df)
        frames.append(t1.row_df)
    for group in (ctx.type2_issues, ctx.type3_issues):
        n = max(n, max((len(t.row_df) for t in group), default=0))
        frames.extend(t.row_df for t in group)
    if ctx.la_issues:
        n = max(n, 1)
    heads = set()
    for df in frames:
        if "ERROR_ID" in getattr(df, "columns", []):
            heads.update(e[0] for e in df["ERROR_ID"] if isinstance(e, tuple) and e)
    return n, heads


def _make_validator_class():
    from cin_validator import cin_validator as cv

    class RecordingValidator(cv.CinValidator):
        """CinValidator that also records, per rule, how many failures the rule pushed.

        The package builds its report inside RuleContext properties wrapped in bare
        try/except, so a rule whose issue table is malformed (e.g. 8540 in 0.1.13, which
        groups on "ROW_ID_x") is silently reported as passed.  Recording the raw count
        lets us still see that it fired.
        """

        def process_issues(self, rule, ctx):
            if not hasattr(self, "raw_counts"):
                self.raw_counts = {}
            try:
                self.raw_counts[str(rule.code)] = _raw_instances(ctx)
            except Exception:  # never let bookkeeping break validation
                self.raw_counts[str(rule.code)] = (-1, set())
            return super().process_issues(rule, ctx)

    return RecordingValidator


def validate_root(root: ET.Element, registry: dict) -> dict:
    """Run every rule of `registry` on a parsed CIN XML root.

    Returns {"rules": [one dict per rule that fired], "crashed": [(code, message)],
    "validator": the CinValidator, "post_error": None or the exception text when the
    package failed while building its report after the rules ran}.  Each rule dict has code, type (ERROR/QUERY),
    description, level ("child", "return" or "unlocated"), children, locations, child_ids.
    """
    from cin_validator import cin_validator as cv

    captured = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(captured):
        warnings.simplefilter("ignore")
        raw = cv.convert_data(root)
        data = cv.process_data(raw)
        cls = _make_validator_class()
        validator = cls.__new__(cls)
        post_error = None
        try:
            validator.__init__(data, registry)
        except Exception as exc:
            # The rules ran but the package's report building failed (seen when a child has
            # no LAchildID: include_issue_child casts NaN to int).  raw_counts survive.
            post_error = f"{type(exc).__name__}: {exc}"
    # CinValidator catches rule exceptions, prints them and counts the rule as passed.
    crashed = re.findall(r"^Error with rule (\S+): (.*)$", captured.getvalue(), re.M)

    def rule_info(code) -> tuple[str, str, str]:
        rule = registry.get(str(code))
        if rule is None:
            return str(code), "UNKNOWN", ""
        return str(rule.code), rule.rule_type.name, str(rule.message).strip()

    fired: dict[str, dict] = {}
    if post_error is None:
        issues = validator.full_issue_df  # child-level locations (Header rows removed)
        la_codes = list(validator.multichild_issues.get("rule_code", []))
    else:
        issues, la_codes = [], []
    if len(issues):
        issues = issues.assign(rule_code=issues["rule_code"].astype(str))
        for code, grp in issues.groupby("rule_code", sort=False):
            c, kind, desc = rule_info(code)
            fired[c] = {
                "code": c,
                "type": kind,
                "description": desc,
                "level": "child",
                "children": int(grp["child_id"].nunique()),
                "locations": int(
                    grp[["tables_affected", "row_id"]].astype(str).drop_duplicates().shape[0]
                ),
                "child_ids": sorted(str(x) for x in grp["child_id"].dropna().unique()),
            }
    # Header rules (e.g. 100) and return-level rules (e.g. 2883, 2886Q, 2887Q, 2888Q).
    for code in la_codes:
        c, kind, desc = rule_info(code)
        fired.setdefault(
            c,
            {
                "code": c,
                "type": kind,
                "description": desc,
                "level": "return",
                "children": 0,
                "locations": 1,
                "child_ids": [],
            },
        )
    # Rules that pushed failures which the package then dropped while building its report.
    known_ids = set(raw["ChildIdentifiers"]["LAchildID"].dropna().astype(str))
    for code, (n, heads) in getattr(validator, "raw_counts", {}).items():
        if n > 0 and code not in fired:
            c, kind, desc = rule_info(code)
            ids = sorted(str(h) for h in heads if str(h) in known_ids)
            fired[c] = {
                "code": c,
                "type": kind,
                "description": desc,
                "level": "unlocated",
                "children": len(ids),
                "locations": n,
                "child_ids": ids,
            }
    return {
        "rules": list(fired.values()),
        "crashed": crashed,
        "validator": validator,
        "post_error": post_error,
    }


def fail(msg: str) -> int:
    print(f"validate.py: {msg}", file=sys.stderr)
    return EXIT_HARNESS


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("xml", help="CIN census XML file")
    parser.add_argument(
        "-r",
        "--ruleset",
        default=None,
        help="ruleset package name, e.g. cin2026_27 (default: the latest one installed); "
        "'auto' derives it from the Header <Year>",
    )
    parser.add_argument("--details", action="store_true", help="also list every flagged location")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--fail-on-query", action="store_true", help="exit 1 when QUERY rules fire too"
    )
    parser.add_argument(
        "--allow-rule-crash",
        action="store_true",
        help="do not exit 2 when a rule raises an exception (it is still reported)",
    )
    args = parser.parse_args(argv)

    # The package (pandas 1.5 era code) is very noisy with FutureWarnings.
    warnings.simplefilter("ignore")

    # ---- parse -------------------------------------------------------------------
    try:
        root = ET.parse(args.xml).getroot()
    except (OSError, ET.ParseError) as exc:
        return fail(f"cannot parse {args.xml}: {exc}")
    if root.tag.startswith("{"):
        return fail(
            f"root element {root.tag!r} has an XML namespace; cin_validator looks up bare "
            "tag names (ingress.py: root.find('Header')) and would see no data. "
            "Emit the file without xmlns."
        )
    if root.find("Header") is None or root.find("Children") is None:
        return fail("expected <Message> with <Header> and <Children> children")
    year = (root.findtext("Header/CollectionDetails/Year") or "").strip()

    # ---- ruleset -----------------------------------------------------------------
    rulesets = available_rulesets()
    ruleset = args.ruleset or rulesets[-1]
    if ruleset == "auto":
        if not year.isdigit():
            return fail("--ruleset auto needs a numeric Header/CollectionDetails/Year")
        ruleset = ruleset_for_year(year)
    if ruleset not in rulesets:
        return fail(f"unknown ruleset {ruleset!r}; installed: {', '.join(rulesets)}")
    if year.isdigit() and ruleset_for_year(year) != ruleset:
        print(
            f"validate.py: warning: Header Year {year} belongs to {ruleset_for_year(year)}, "
            f"validating with {ruleset}",
            file=sys.stderr,
        )
    registry = load_registry(ruleset)

    try:
        result = validate_root(root, registry)
    except Exception as exc:  # ingress failures (e.g. a <Child> without ChildIdentifiers)
        return fail(f"cin_validator could not read the file: {type(exc).__name__}: {exc}")
    fired, crashed, validator = result["rules"], result["crashed"], result["validator"]
    post_error = result["post_error"]

    order = {"ERROR": 0, "QUERY": 1}
    rows = sorted(fired, key=lambda r: (order.get(r["type"], 2), r["code"]))
    n_err = sum(r["type"] == "ERROR" for r in rows)
    n_query = sum(r["type"] == "QUERY" for r in rows)

    if args.json:
        out = {
            "file": args.xml,
            "ruleset": ruleset,
            "rules_run": len(registry),
            "error_rules_failed": n_err,
            "query_rules_fired": n_query,
            "rules": rows,
            "crashed_rules": [{"code": c, "error": e} for c, e in crashed],
            "report_error": post_error,
        }
        if args.details and post_error is None:
            out["locations"] = json.loads(validator.user_report.to_json(orient="records"))
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.xml}: ruleset {ruleset} ({len(registry)} rules)")
        if not rows:
            print("  no rule fired")
        for r in rows:
            if r["level"] == "return":
                who = "return-level (whole file)"
            elif r["level"] == "unlocated":
                who = (
                    f"{r['locations']} failure(s), child(ren): "
                    + (", ".join(r["child_ids"][:10]) or "?")
                    + " (no locations: the package dropped them)"
                )
            else:
                who = (
                    f"{r['locations']} location(s), {r['children']} child(ren): "
                    + ", ".join(r["child_ids"][:10])
                    + (" ..." if len(r["child_ids"]) > 10 else "")
                )
            print(f"  {r['code']:<6} {r['type']:<5} {r['description']}")
            print(f"         -> {who}")
        if post_error:
            print(
                f"  !! the package failed while building its report ({post_error}); "
                "rules listed are from raw counts, without locations"
            )
        if args.details and post_error is None and len(validator.user_report):
            print("\nlocations:")
            rep = validator.user_report
            for rec in rep.itertuples(index=False):
                print(
                    f"  {rec.rule_code:<6} child={rec.LAchildID} {rec.tables_affected}."
                    f"{rec.columns_affected} row={rec.ROW_ID} value={rec.value_flagged}"
                )
        for c, e in crashed:
            print(f"  !! rule {c} crashed and did not check the data: {e}")
        print(f"summary: {n_err} ERROR rule(s) failed, {n_query} QUERY rule(s) fired")

    if post_error:
        return EXIT_HARNESS
    if crashed and not args.allow_rule_crash:
        print(
            f"validate.py: {len(crashed)} rule(s) crashed: "
            + ", ".join(c for c, _ in crashed),
            file=sys.stderr,
        )
        return EXIT_HARNESS
    if n_err or (args.fail_on_query and n_query):
        return EXIT_ERRORS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(run())
