"""The command line: parses options, calls one core function, maps errors to exit codes."""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditor import __version__
from auditor.bundle.folder import bundle_lock, cannot
from auditor.cli.inventory import inventory_group
from auditor.cli.review import COMMANDS as REVIEW_COMMANDS
from auditor.errors import AuditorError, ExitCode, InputError
from auditor.inventory.load import Inventory, load_inventory
from auditor.messages import LANGUAGES
from auditor.report import CONTRACT_FORMATS, CSV_SEPARATORS, FORMATS
from auditor.report.console import SEVERITIES

# The stages' modules are imported inside the commands that use them: each command then
# loads only its own libraries (a scan needs no Jinja2, a check no paramiko), which keeps
# the start-up of a scan near that of paramiko alone.
if TYPE_CHECKING:
    from auditor.check import CheckOutcome
    from auditor.collect.scan import ScanSummary

F = TypeVar("F", bound=Callable[..., Any])


def crash_log_dir() -> Path:
    """Where tracebacks of internal errors are saved."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "auditor"


def _save_traceback() -> Path:
    folder = crash_log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}.log"
        path.write_text(f"auditor {__version__}\nargv: {sys.argv[0]} {' '.join(sys.argv[1:2])}"
                        f"\n\n{traceback.format_exc()}", encoding="utf-8")
    except OSError:
        import tempfile

        fd, name = tempfile.mkstemp(prefix="auditor-crash-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(traceback.format_exc())
        path = Path(name)
    return path


FILE_SYSTEM_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES,
                                errno.EPERM, errno.EFBIG, errno.EIO, errno.ENAMETOOLONG,
                                errno.EMFILE, errno.ENFILE})
"""Faults of the machine, not of auditor: the user's to fix, never reported as a bug."""


class AuditorGroup(click.Group):
    """A group that turns core errors into exit codes and one clear message."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; AuditorError -> its exit code, any other exception -> exit 4."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("\ninterrupted: what finished is kept; rerun with --resume to go on",
                       err=True)
            ctx.exit(130)
        except AuditorError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(int(exc.exit_code))
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno in FILE_SYSTEM_ERRNOS:
                fault = cannot("use", exc.filename or "a file", exc)
                click.echo(f"error: {fault}", err=True)
                ctx.exit(int(fault.exit_code))
            path = _save_traceback()
            click.echo(f"internal error ({type(exc).__name__}); this is a bug in auditor. "
                       f"The details are saved in {path}", err=True)
            ctx.exit(int(ExitCode.INTERNAL))


@click.group(cls=AuditorGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                  "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="auditor")
def cli() -> None:
    """Audit pemda server rooms and data centres against the national specification.

    Mengaudit ruang server dan pusat data pemda terhadap spesifikasi nasional, dan
    merekomendasikan migrasi ke Pusat Data Nasional (PDN).

    \b
    Start here (writes a starter inventory, answers and CSV templates):
      auditor init mypemda
      auditor audit mypemda/inventory.yaml -o mypemda/bundle
    In a source checkout, the bundled example:
      auditor audit inventory/example.yaml -o reports/example

    \b
    Exit codes: 0 compliant, 1 non-compliance found, 2 bad input or usage,
    3 some hosts could not be scanned, 4 internal error (a bug), 5 the file
    system refused (read-only folder, full disk, permission), 130 interrupted.
    Shell completion (bash): eval "$(_AUDITOR_COMPLETE=bash_source auditor)"
    """


def scan_options(func: F) -> F:
    """Options shared by scan and audit."""
    options = [
        click.option("-o", "--output", "output", required=True,
                     type=click.Path(file_okay=False, path_type=Path),
                     help="Bundle folder to write (created if missing)."),
        click.option("--concurrency", default=32, show_default=True,
                     type=click.IntRange(1, 1024), help="Hosts scanned at the same time."),
        click.option("--timeout", default=60.0, show_default=True,
                     type=click.FloatRange(1, 3600),
                     help="Seconds allowed for one host in total (connect, login, probe)."),
        click.option("--known-hosts", type=click.Path(dir_okay=False, path_type=Path),
                     help="known_hosts file used to verify SSH host keys "
                          "[default: ~/.ssh/known_hosts]."),
        click.option("--accept-new-host-keys", is_flag=True,
                     help="Trust on first use: accept a host key never seen before and pin it "
                          "into the known_hosts file. A changed key is always refused."),
        click.option("--ssh-config", type=click.Path(dir_okay=False, path_type=Path),
                     default=Path("~/.ssh/config"), show_default=True,
                     help="OpenSSH client config honoured where the inventory is silent: "
                          "Include, Host, Match host/originalhost/user/localuser/all, "
                          "HostName, Port, User, IdentityFile, ProxyJump, ProxyCommand; "
                          "other directives are named in a warning."),
        click.option("--no-ssh-config", is_flag=True, help="Ignore any OpenSSH client config."),
        click.option("--resume", is_flag=True,
                     help="Keep hosts that already have a good facts file in the bundle; scan "
                          "only the others."),
        click.option("--service-timeout", default=10.0, show_default=True,
                     type=click.FloatRange(0.5, 600),
                     help="Web services: seconds to connect and to wait for each answer."),
        click.option("--service-budget", default=120.0, show_default=True,
                     type=click.FloatRange(1, 3600),
                     help="Web services: seconds allowed for one service in total."),
        click.option("--ca-file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Web services: PEM file of a private CA to trust besides the system's."),
        click.option("--http-port", default=80, show_default=True, type=click.IntRange(1, 65535),
                     help="Web services: port where plain HTTP should redirect to HTTPS."),
        click.option("--no-exposure-checks", is_flag=True,
                     help="Web services: do not request the well-known exposed paths "
                          "(phpMyAdmin, .git, .env, backups...)."),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
        click.option("-v", "--verbose", is_flag=True,
                     help="Show per host the ssh config lines, keys, jump hosts or "
                          "ProxyCommand and known_hosts entry used, and why a login failed "
                          "(secrets removed); with audit, also a line per control (✔ passed, "
                          "✖ failed, ? could not be checked)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _run_scan(inventory: Inventory, opts: dict[str, Any]) -> ScanSummary:
    """Run the scan stage with the options of ``scan_options`` (as click parsed them)."""
    # Imported here: SSH and HTTP libraries cost a second of start-up the other commands
    # do not need.
    from auditor.collect.progress import ScanProgress
    from auditor.collect.scan import scan
    from auditor.collect.transports import ScanOptions
    from auditor.collect.transports.ssh_config import load_config
    from auditor.collect.transports.ssh_log import scan_logging
    from auditor.collect.web import WebOptions

    quiet: bool = opts["quiet"]
    verbose: bool = opts["verbose"]   # callers _check_verbosity first
    output: Path = opts["output"]
    known_hosts = opts["known_hosts"]
    options = ScanOptions(timeout=opts["timeout"],
                          known_hosts=str(known_hosts) if known_hosts else None,
                          accept_new_host_keys=opts["accept_new_host_keys"],
                          ssh_config=None if opts["no_ssh_config"] else str(opts["ssh_config"]))
    web = WebOptions(timeout=opts["service_timeout"], total_timeout=opts["service_budget"],
                     ca_file=opts["ca_file"], http_port=opts["http_port"],
                     check_exposure=not opts["no_exposure_checks"])
    web.check()
    if options.ssh_config and any(h.transport == "ssh" for h in inventory.hosts):
        load_config(Path(options.ssh_config))  # an Include loop, say: exit 2 before connecting
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        stop.set()

    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        signal.signal(signal.SIGTERM, on_term)
    try:
        with scan_logging(inventory, verbose=verbose, quiet=quiet):
            summary = scan(inventory, output, options, concurrency=opts["concurrency"],
                           resume=opts["resume"], stop=stop, web=web,
                           on_progress=None if quiet or verbose else ScanProgress())
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    if not quiet:
        _print_scan(summary, inventory, output)
    if summary.interrupted:
        click.echo("scan stopped before the end: rerun with --resume to finish", err=True)
    return summary


def _print_scan(summary: ScanSummary, inventory: Inventory, output: Path) -> None:
    """What the scan did: hosts scanned and failed, services probed and silent."""
    skipped = sum(r.skipped for r in summary.results)
    note = f" ({skipped} kept from an earlier scan)" if skipped else ""
    click.echo(f"scanned {len(summary.results)} of {len(inventory.hosts)} hosts{note}, "
               f"{len(summary.failed)} could not be scanned; facts in {output / 'facts'}",
               err=True)
    for failed in summary.failed:
        click.echo(f"  {failed.host}: {failed.status}: {failed.reason}", err=True)
    if summary.services:
        click.echo(f"probed {len(summary.services)} web services, "
                   f"{len(summary.failed_services)} did not answer", err=True)
    for service in summary.failed_services:
        click.echo(f"  {service.service}: {service.status}: {service.reason}", err=True)


def _check_verbosity(opts: dict[str, Any]) -> None:
    """--quiet and --verbose of ``scan_options`` exclude each other."""
    if opts["quiet"] and opts["verbose"]:
        raise click.UsageError("--quiet and --verbose exclude each other; choose one")


@cli.command("scan")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@scan_options
def scan_command(inventory: Path, **opts: Any) -> None:
    """Collect facts from every host of INVENTORY into the bundle folder.

    Each host gets one read-only probe in one round trip (SSH, or the local machine for
    `transport: local`). Facts go to DIR/facts/HOST.json. Exit 3 when some hosts could not
    be scanned.
    """
    _check_verbosity(opts)
    with bundle_lock(opts["output"], "scan", create=True):
        summary = _run_scan(load_inventory(inventory), opts)
    incomplete = summary.failed or summary.failed_services or summary.interrupted
    code = ExitCode.SCAN_INCOMPLETE if incomplete else ExitCode.OK
    sys.exit(int(code))


def _spec_option(func: F) -> F:
    func = click.option("--overlay", "overlay_path", type=click.Path(dir_okay=False,
                                                                      path_type=Path),
                        help="Tailoring overlay: severities, parameters, disabled controls and "
                             "waivers (see specs/README.md).")(func)
    return click.option("--spec", "spec_path", type=click.Path(path_type=Path),
                        help="Specification main file or folder [default: the packaged national "
                             "specification].")(func)


def _lang_option(func: F) -> F:
    return click.option("--lang", type=click.Choice(list(LANGUAGES)), default="id",
                        show_default=True, help="Report language: id (Bahasa Indonesia) or en.")(
        func)


def _report_options(func: F) -> F:
    """--format and --csv-separator, shared by report and audit."""
    func = click.option("--csv-separator", type=click.Choice(list(CSV_SEPARATORS)),
                        help="Separator of findings.csv: ';' opens directly in Excel set to "
                             "Indonesian [default: the one findings.csv has, else ',']."
                        )(func)
    return click.option("--format", "formats", metavar="FORMATS",
                        help=f"Comma-separated formats of {', '.join(FORMATS)} [default: "
                             f"{','.join(CONTRACT_FORMATS)}, what a bundle holds]; "
                             "'+sarif' adds to the default. html and md are written in both "
                             "languages.")(func)


def _verbose_option(func: F) -> F:
    """check's --verbose (audit has scan_options' one, which does this too)."""
    return click.option("-v", "--verbose", is_flag=True,
                        help="Print a line per control: ✔ passed, ✖ failed, ? could not be "
                             "checked, with counts.")(func)


def _fail_on_option(func: F) -> F:
    """--fail-on, shared by check and audit."""
    return click.option("--fail-on", type=click.Choice(list(SEVERITIES)), metavar="SEVERITY",
                        help="Exit 1 only for failed or unknown findings (unknown: could not be "
                             "checked) of this severity or above: low, medium, high, critical "
                             "[default: exit 1 when the verdict is not compliant].")(func)


def _check_exit(outcome: CheckOutcome, fail_on: str | None = None) -> ExitCode:
    if outcome.scan_incomplete:
        return ExitCode.SCAN_INCOMPLETE
    if fail_on is not None:
        from auditor.report.console import open_at

        return ExitCode.NONCOMPLIANT if open_at(outcome.results, fail_on) else ExitCode.OK
    return ExitCode.OK if outcome.compliant else ExitCode.NONCOMPLIANT


def _print_verdicts(outcome: CheckOutcome) -> None:
    summary = outcome.summary
    score = "-" if summary["score"] is None else f"{summary['score']:g}"
    click.echo(f"verdict: {summary['verdict']}, score {score}, "
               f"{summary['hosts_scanned']}/{summary['hosts']} hosts scanned", err=True)
    for site in outcome.sites:
        site_score = "-" if site["score"] is None else f"{site['score']:g}"
        click.echo(f"  site {site['id']}: {site['verdict']} (score {site_score}, "
                   f"{site['counts']['fail']} failed, {site['counts']['unknown']} unknown)",
                   err=True)


def _print_controls(outcome: CheckOutcome) -> None:
    """The per-control summary of --verbose; coloured only on a terminal (click decides)."""
    from auditor.report.console import tally_controls, tally_line

    encoding = getattr(sys.stderr, "encoding", None) or "ascii"
    try:
        "✔✖·".encode(encoding)
        fancy = True
    except (UnicodeEncodeError, LookupError):
        fancy = False
    for tally in tally_controls(outcome.results, "en"):
        mark, colour, rest = tally_line(tally, fancy)
        click.echo(f"  {click.style(mark, fg=colour, bold=True) if colour else mark} {rest}",
                   err=True, color=None)


def _warn_stale(folder: Path, results: Path | None = None) -> None:
    """One warning per set of reports in ``folder`` that show other results than its own."""
    from auditor.report.freshness import stale_reports

    groups: dict[str, list[str]] = {}
    for stale in stale_reports(folder, results):
        groups.setdefault(stale.reason(), []).append(stale.file)
    for reason, files in groups.items():
        were = "was" if len(files) == 1 else "were"
        click.echo(f"warning: {folder}: {', '.join(files)} {were} {reason}; render again "
                   f"with 'auditor report {folder}' (-o FOLDER for a signed bundle)", err=True)


@cli.command("check")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@_spec_option
@click.option("--no-report", is_flag=True,
              help="Do not render the bundle's reports again: they are then marked stale "
                   "(report, bundle verify and review say so).")
@_verbose_option
@_fail_on_option
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def check_command(bundle: Path, spec_path: Path | None, overlay_path: Path | None,
                  no_report: bool, fail_on: str | None, verbose: bool, quiet: bool) -> None:
    """Judge a bundle's facts and answers against the specification.

    Writes BUNDLE/results.json, and renders again the reports the bundle holds (the same
    formats and languages) unless --no-report. Old facts can be judged again against
    another specification version with --spec, without scanning again. Exit 0 compliant, 1
    non-compliance found (with --fail-on: a failed or unknown finding at or above that
    severity), 3 some hosts were not scanned.
    """
    from auditor.check import run_check
    from auditor.report.write import after_check, before_check, is_signed
    from auditor.spec.tailoring import load_tailored_spec

    spec = load_tailored_spec(spec_path, overlay_path)
    with bundle_lock(bundle, "check"):
        existing = before_check(bundle, render=not no_report)
        outcome = run_check(bundle, spec)
        written = after_check(bundle, existing, render=not no_report)
    if not quiet:
        _print_verdicts(outcome)
        if verbose:
            _print_controls(outcome)
        click.echo(f"results in {bundle / 'results.json'}", err=True)
        for path in written:
            click.echo(f"report: {path}", err=True)
        if is_signed(bundle):
            click.echo(f"note: {bundle} was signed before; its results changed, so sign it "
                       "again ('auditor bundle sign')", err=True)
    _warn_stale(bundle)
    sys.exit(int(_check_exit(outcome, fail_on)))


@cli.command("report")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@_report_options
@_lang_option
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the reports into [default: the bundle]. Needed for a "
                   "signed bundle, whose signature rewriting would break.")
def report_command(bundle: Path, formats: str | None, csv_separator: str | None, lang: str,
                   output: Path | None) -> None:
    """Render BUNDLE/results.json into reports inside the bundle (or into -o FOLDER).

    \b
    html and md are written in both languages: --lang as report.html and report.md, the
    other as report.en.html / report.en.md (or report.id.*), each linking to the other.
    Without --format: html, md, findings.csv and junit.xml. The files written and the
    results they show are recorded in reports.json.
    """
    from auditor.report.write import parse_formats, write_reports

    chosen = parse_formats(formats)
    target = output or bundle
    with bundle_lock(bundle, "report"):
        if output is not None and output.resolve() != bundle.resolve():
            with bundle_lock(output, "report", create=True):
                written = write_reports(bundle, chosen, lang, output=output,
                                        csv_separator=csv_separator)
        else:
            written = write_reports(bundle, chosen, lang, csv_separator=csv_separator)
    for path in written:
        click.echo(str(path))
    _warn_stale(target, bundle / "results.json")
    if output is not None and target.resolve() != bundle.resolve():
        _warn_stale(bundle)


@cli.command("audit")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@scan_options
@_spec_option
@_lang_option
@_report_options
@_fail_on_option
def audit_command(inventory: Path, spec_path: Path | None, overlay_path: Path | None,
                  lang: str, formats: str | None, csv_separator: str | None,
                  fail_on: str | None, **opts: Any) -> None:
    """Scan, check and report in one go: the main job.

    \b
    Example:
      auditor audit inventory/example.yaml -o reports/example

    Writes the bundle (facts, answers, results.json) and the reports into -o: report.html
    and report.md in both languages, findings.csv and junit.xml. Exit 0 compliant, 1
    non-compliance found (with --fail-on: a failed or unknown finding at or above that
    severity), 2 bad input, 3 some hosts could not be scanned.
    """
    from auditor.check import run_check
    from auditor.report.write import parse_formats, write_reports
    from auditor.spec.tailoring import load_tailored_spec

    spec = load_tailored_spec(spec_path, overlay_path)
    chosen = parse_formats(formats)
    _check_verbosity(opts)
    loaded = load_inventory(inventory)  # once: fail on a bad one before any connection
    output: Path = opts["output"]
    with bundle_lock(output, "audit", create=True):
        summary = _run_scan(loaded, opts)
        outcome = run_check(output, spec, inventory=loaded)
        written = write_reports(output, chosen, lang, csv_separator=csv_separator,
                                into_signed=True)
    if not opts["quiet"]:
        _print_verdicts(outcome)
        if opts["verbose"]:
            _print_controls(outcome)
        for path in written:
            click.echo(f"report: {path}", err=True)
    code = _check_exit(outcome, fail_on)
    if summary.interrupted:
        code = ExitCode.SCAN_INCOMPLETE
    sys.exit(int(code))


@cli.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite starter files already in FOLDER.")
@click.option("--demo", is_flag=True,
              help="Write the demo bundle instead: eight hosts already scanned (recorded "
                   "facts), to check and report on at once and see a full migration plan.")
def init_command(folder: Path, force: bool, demo: bool) -> None:
    """Write a starter inventory, facility answers and CSV import templates into FOLDER.

    \b
    The inventory audits the machine you run on (transport: local), so this works at once:
      auditor init mypemda
      auditor audit mypemda/inventory.yaml -o mypemda/bundle
    Then add the pemda's hosts (see the comments in the inventory), import them from a
    spreadsheet (mypemda/templates/hosts-template.csv) or Ansible, and answer the facility
    questionnaire with `auditor assess`. Existing files are never overwritten without --force.

    \b
    With --demo, FOLDER becomes a scanned bundle of a fictional kota (no SSH needed):
      auditor init --demo demo
      auditor check demo
      auditor report demo
    """
    from auditor.inventory.starter import write_demo, write_starter

    if demo:
        bundle = write_demo(folder, force=force)
        click.echo(f"{len(bundle.files)} files of the demo bundle written under {folder}; "
                   f"next:\n  auditor check {folder}\n  auditor report {folder}", err=True)
        return
    starter = write_starter(folder, force=force)
    click.echo(f"{len(starter.files)} files written under {folder}; next:\n"
               f"  auditor audit {starter.inventory} -o {folder / 'bundle'}", err=True)


@cli.group("spec")
def spec_group() -> None:
    """Check or list a specification."""


@spec_group.command("lint")
@click.argument("spec_path", required=False, type=click.Path(path_type=Path))
def spec_lint(spec_path: Path | None) -> None:
    """Check a specification: schema, duplicate ids, operators, fact paths, questions.

    Exit 0 when sound, 2 with every problem as FILE:LINE: FIELD: MESSAGE.
    """
    from auditor.spec.lint import lint_spec
    from auditor.spec.load import load_spec

    spec = load_spec(spec_path)
    problems = lint_spec(spec)
    if problems:
        raise InputError(f"{spec.path}: {len(problems)} problems", problems)
    click.echo(f"{spec.path}: {spec.id} {spec.version}: {len(spec.controls)} controls, no "
               "problems")


@spec_group.command("show")
@click.argument("spec_path", required=False, type=click.Path(path_type=Path))
@click.option("--control", "control_id", help="Show one control in full.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@_lang_option
def spec_show(spec_path: Path | None, control_id: str | None, fmt: str, lang: str) -> None:
    """List the controls of a specification, or one control in full."""
    from auditor.spec.load import control_as_data, load_spec

    spec = load_spec(spec_path)
    controls = list(spec.controls)
    if control_id:
        controls = [c for c in controls if c.id == control_id.upper()]
        if not controls:
            raise InputError(f"no control '{control_id}' in {spec.id} {spec.version}")
    if fmt == "json" or control_id:
        data = [control_as_data(c) for c in controls]
        click.echo(json.dumps(data if not control_id else data[0], indent=2, ensure_ascii=False))
        return
    click.echo(f"{spec.id} {spec.version} (effective {spec.effective_date}): "
               f"{len(controls)} controls")
    for c in controls:
        click.echo(f"{c.id:<28} {c.severity:<8} {c.applies_to:<8} {c.title[lang]}")


for _command in (inventory_group, *REVIEW_COMMANDS):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="auditor")
    except InputError as exc:  # raised outside a command, e.g. while parsing
        click.echo(f"error: {exc}", err=True)
        sys.exit(int(ExitCode.BAD_INPUT))
