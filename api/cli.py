"""flask commands: db upgrade, seed, token create, audit verify, seal and checkpoint, timescales
recompute, jobs work, exports check."""

import sys
from contextlib import contextmanager
from functools import wraps

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import current_app
from flask.cli import AppGroup

from .config import PROJECT_ROOT
from .vocab import ROLES, SERVICES

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
token_cli = AppGroup("token", help="Tokens for operators and scripts.")
audit_cli = AppGroup("audit", help="The audit trail.")
timescales_cli = AppGroup("timescales", help="Working-day facts stored on records.")
jobs_cli = AppGroup("jobs", help="Background jobs: verifications and exports (api/jobs.py).")
exports_cli = AppGroup("exports", help="Exports saved to files.")
webhooks_cli = AppGroup("webhooks", help="Partner notifications (api/webhooks.py).")


def long_job(func):
    """An operator command's transaction runs without the web requests' statement timeout (a
    recompute or a verify over years of records may rightly take minutes). Migrations lift it
    themselves (migrations/env.py)."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        from .db import session
        from .engines import lift_timeouts

        # Only PostgreSQL has one (and on SQLite opening the transaction here would take the
        # write lock for a read-only command).
        if current_app.extensions["db"].dialect == "postgresql":
            lift_timeouts(session.connection())
        return func(*args, **kwargs)

    return wrapper


def alembic_config(app=None):
    """Alembic's configuration, on the migration engine (MIGRATION_DATABASE_URL, the tables'
    owner, when set; else the app's own)."""
    app = app or current_app
    config = AlembicConfig()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = app.extensions["db"].migration_engine
    return config


def upgrade(app, revision="head"):
    """Migrate, then (PostgreSQL, DATABASE_APP_ROLE set) grant the app's role what it needs."""
    command.upgrade(alembic_config(app), revision)
    role = app.config.get("DATABASE_APP_ROLE")
    engine = app.extensions["db"].migration_engine
    if role and engine.dialect.name == "postgresql":
        from .grants import grant_app_role

        with engine.begin() as connection:
            grant_app_role(connection, role)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision):
    """Migrate the database up to REVISION (default: head)."""
    from pathlib import Path

    url = current_app.extensions["db"].url
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    upgrade(current_app, revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision):
    """Migrate the database down to REVISION."""
    command.downgrade(alembic_config(), revision)


@db_cli.command("current")
def db_current():
    """Show the database's revision."""
    command.current(alembic_config())


@token_cli.command("create")
@click.option("--sub", required=True, help="Subject: who the token is for.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--service", type=click.Choice(SERVICES))
@click.option("--agency", help="Agency code (role agency).")
@click.option("--minutes", type=click.IntRange(1, 24 * 60), help="Lifetime (default by kind).")
def token_create(sub, role, service, agency, minutes):
    """Mint a signed access token and print it. For a subject that names an account, the token
    carries the account's token_generation, as one the account is issued does (it is still
    refused while the account is disabled)."""
    from .auth import mint_token
    from .domain.accounts import token_generation_of

    try:
        token, _ = mint_token(
            current_app, sub, role, service=service, agency=agency,
            kind="client" if role == "agency" else "person", minutes=minutes,
            generation=token_generation_of(sub),
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    click.echo(token)


def _without_timeouts():
    """long_job's lifting, for a command's second transaction (SET LOCAL ends with the first)."""
    from .db import session
    from .engines import lift_timeouts

    if current_app.extensions["db"].dialect == "postgresql":
        lift_timeouts(session.connection())


@contextmanager
def _progress(label, total):
    """A click progress bar on a terminal (stderr, so stdout stays the JSON result); elsewhere
    nothing. Yields the function a check tells of each batch read."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=max(total, 1), label=label, file=sys.stderr) as bar:
        yield bar.update


def _seal_access_log():
    from .db import session
    from .sealing import seal

    sealed = seal()
    session.commit()
    _without_timeouts()
    return sealed


@audit_cli.command("verify")
@click.option("--state", "check_state", is_flag=True,
              help="Also check every current record against its latest event's state.")
@long_job
def audit_verify(check_state):
    """Seal the access log, recompute the audit hash chain and every seal of the access log
    (and with --state, every record's state); exit 1 if anything does not verify."""
    import json

    from . import audit, record_state
    from .sealing import count_access_events

    _seal_access_log()
    with _progress("audit chain and access log",
                   audit.chain_length() + count_access_events()) as progress:
        result = audit.verify(progress=progress).as_dict()
    if check_state:
        with _progress("records against their states", record_state.count_to_check()) as progress:
            result["state"] = record_state.check_states(progress=progress).as_dict()
    click.echo(json.dumps(result))
    valid = result["valid"] and (not check_state or result["state"]["valid"])
    sys.exit(0 if valid else 1)


@audit_cli.command("seal")
@long_job
def audit_seal():
    """Seal the access events not yet sealed into the audit chain; print the seal (or null)."""
    import json

    sealed = _seal_access_log()
    click.echo(json.dumps(sealed.data_object if sealed else None))


@audit_cli.command("checkpoint")
@long_job
def audit_checkpoint():
    """Print a signed checkpoint of the audit chain (for a cron job to ship elsewhere)."""
    from . import audit

    try:
        click.echo(audit.sign_checkpoint())
    except RuntimeError as error:
        raise click.ClickException(str(error)) from error


@timescales_cli.command("recompute")
@long_job
def timescales_recompute():
    """Recompute stored deadlines and on-time flags after the bank holiday calendar changes."""
    from .caller import system_actor
    from .db import session
    from .domain.timescale_facts import recompute_working_day_facts

    counts = recompute_working_day_facts(system_actor("timescales"))
    session.commit()
    click.echo(", ".join(f"{kind}: {n} changed" for kind, n in counts.items()))


@jobs_cli.command("work")
@click.option("--once", is_flag=True, help="Do the jobs waiting, then stop (else run until killed).")
@click.option("--poll", type=float, default=None,
              help="Seconds between looks for work when there is none (JOB_POLL_SECONDS).")
def jobs_work(once, poll):
    """Do background jobs: take the oldest waiting (or abandoned) job, do it, and the next.
    Several workers, on one machine or several, share the queue."""
    from . import jobs

    name = jobs.worker_name()
    click.echo(f"jobs worker {name}: taking jobs" + (" (until none is waiting)" if once else ""),
               err=True)
    jobs.work(name, once=once, poll=poll)


@webhooks_cli.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@click.option("--poll", type=float, default=None,
              help="Seconds between looks when nothing is due (WEBHOOK_POLL_SECONDS).")
def webhooks_deliver(once, poll):
    """Deliver partner notifications: take the messages that are due, post them signed, record
    each attempt, retry failures with backoff. Several workers share the outbox."""
    from . import webhooks

    if once:
        total = 0
        while (attempted := webhooks.deliver_due()):
            total += attempted
        click.echo(f"{total} attempted")
        return
    click.echo("webhooks worker: delivering", err=True)
    webhooks.work(poll)


@exports_cli.command("check")
@click.argument("file", type=click.File("rb"))
def exports_check(file):
    """Check that FILE, a saved NDJSON export, is whole: its last line is the trailer and the
    lines before it match the trailer's count and sha256. Exit 0 if so, else 1 saying why."""
    from .streams import IncompleteExport, check_ndjson

    try:
        rows, digest = check_ndjson(file)
    except IncompleteExport as problem:
        click.echo(f"incomplete: {problem}", err=True)
        sys.exit(1)
    click.echo(f"complete: {rows} rows, sha256 {digest}")


@click.command("cin-census")
@click.option("--year", required=True, help="The collection year, e.g. 2026-27 (1 April 2026 to "
              "31 March 2027).")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write the XML (default: standard output).")
@long_job
def cin_census(year, out):
    """Write the DfE Children in Need census return for YEAR as XML (every child with a referral
    open in the year; LA_CODE names the council). Validate it with `make validate-cin`."""
    from .domain import cin_census as census
    from .domain.restrictions import NOTHING_HIDDEN
    from .errors import RuleViolation
    from .timescales import now

    try:
        collection = census.collection_year(year)
    except RuleViolation as problem:
        raise click.BadParameter(str(problem), param_hint="--year") from None
    la_code = current_app.config["LA_CODE"]
    if not la_code:
        raise click.UsageError("LA_CODE is not set: the council's three-digit LA number.")
    from .db import session

    children = census.count_children(session, collection, NOTHING_HIDDEN)
    for piece in census.census_xml(session, collection, NOTHING_HIDDEN, la_code,
                                   census.release_of_this_software(), now()):
        out.write(piece)
    click.echo(f"CIN census {collection.label}: {children} children", err=True)


@click.command("seed")
@click.option("--reference-only", is_flag=True, help="Agencies only: no demo accounts or cases.")
@click.option("--contacts", type=click.IntRange(0, 99_999), default=None, show_default="36",
              help="Load demo contacts 1..N (their cases cycling through the same states), "
                   "for a larger front door; those loaded already are skipped.")
@long_job
def seed(reference_only, contacts):
    """Load agencies, demo accounts and demo contacts. Running it twice changes nothing."""
    from seeds import DEMO_CONTACTS, load

    if reference_only and contacts is not None:
        raise click.UsageError("--contacts loads demo contacts; --reference-only loads none.")
    counts = load(reference_only=reference_only,
                  contacts=DEMO_CONTACTS if contacts is None else contacts)
    click.echo(", ".join(f"{name}: {n} added" for name, n in counts.items()))


def register(app):
    for group in (db_cli, token_cli, audit_cli, timescales_cli, jobs_cli, exports_cli,
                  webhooks_cli, seed, cin_census):
        app.cli.add_command(group)
