"""Click commands for assess, bundle sign/verify and review; cli.py registers them on its group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from auditor.bundle.folder import bundle_lock
from auditor.cli.history import history_group
from auditor.errors import ExitCode, InputError
from auditor.inventory.load import load_inventory

if TYPE_CHECKING:
    from auditor.review.load import BundleReport

LANG_CHOICE = click.Choice(["id", "en"])


def _ask(prompt: str) -> str:
    return input(prompt)


@click.command("assess")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--site", help="Site id to assess [default: the inventory's only site].")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Answers file to write (YAML); an existing one is continued.")
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Take the answers from this file instead of asking (non-interactive).")
@click.option("--all", "revisit", is_flag=True,
              help="Ask every question again, offering the earlier answers as defaults.")
@click.option("--spec", "spec_path", type=click.Path(path_type=Path),
              help="Specification main file or folder [default: the packaged national one].")
@click.option("--lang", type=LANG_CHOICE, default="id", show_default=True,
              help="Language of the questions: id (Bahasa Indonesia) or en.")
def assess_command(inventory: Path, site: str | None, output: Path, answers_file: Path | None,
                   revisit: bool, spec_path: Path | None, lang: str) -> None:
    """Answer the facility and operations questionnaire for one site.

    \b
    Interactive in a terminal: type ? for a question's explanation, - to skip. Answers are
    saved after each question; Ctrl-C keeps them and the same command continues later.
    Evidence files are attached by path and hashed. With --answers FILE the answers are
    checked (schema, control ids, value types) and written without asking.
    Link the written file from the inventory site's `facility:` key.
    """
    from auditor.messages import say
    from auditor.spec.assess import Session, import_answers, pick_site, questions_for
    from auditor.spec.load import load_spec

    loaded = load_inventory(inventory)
    chosen = pick_site([s.id for s in loaded.sites], site, str(inventory))
    questions = questions_for(load_spec(spec_path))
    if answers_file is not None:
        data = import_answers(answers_file, questions, chosen, output)
        click.echo(f"{len(data['answers'])} answers for site {chosen} written to {output}",
                   err=True)
        return
    if not sys.stdin.isatty():
        raise InputError("the questionnaire needs a terminal; give the answers with "
                         "--answers FILE instead")
    session = Session(questions, output, chosen, _ask, click.echo, lang=lang, revisit=revisit)
    try:
        session.run()
    except (KeyboardInterrupt, EOFError):
        kept = len(session.data.get("answers") or {})
        click.echo("\n" + say("assess.interrupted", lang, kept=kept, file=output), err=True)
        sys.exit(130)


@click.group("bundle")
def bundle_group() -> None:
    """Sign a bundle, or verify that nobody altered it."""


@bundle_group.command("sign")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@click.option("--key", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="ed25519 private key (OpenSSH or PEM), or a public key (.pub) whose private "
                   "half is in ssh-agent or on a hardware token (signed with ssh-keygen -Y "
                   "sign).")
@click.option("--passphrase-env", metavar="NAME",
              help="Environment variable holding the key's passphrase (never the passphrase).")
def bundle_sign(bundle: Path, key: Path, passphrase_env: str | None) -> None:
    """Write BUNDLE/manifest.json (sha256 of every file) and its signature manifest.sig.

    \b
    The signature is OpenSSH's (SSHSIG, namespace auditor-bundle): anyone can check it
    without auditor, with the organisation code as principal:
      ssh-keygen -Y verify -f allowed_signers -I 32.73 -n auditor-bundle \\
        -s BUNDLE/manifest.sig < BUNDLE/manifest.json
    """
    from auditor.bundle.signing import load_signer, sign_bundle

    signer = load_signer(key, passphrase_env)
    with bundle_lock(bundle, "bundle sign"):
        signed = sign_bundle(bundle, signer)
    click.echo(f"signed {signed.files} files of {bundle} with key {signed.fingerprint}; "
               f"{signed.manifest.name} and {signed.signature.name} written")


@bundle_group.command("verify")
@click.argument("bundle", type=click.Path(file_okay=False, path_type=Path))
@click.option("--allowed-signers", type=click.Path(dir_okay=False, path_type=Path),
              help="OpenSSH allowed_signers file: organisation codes as principals, with "
                   "valid-after/valid-before dates (the file ssh-keygen -Y verify reads).")
@click.option("--pubkey", type=click.Path(dir_okay=False, path_type=Path),
              help="Expected signer: an OpenSSH .pub line or an ed25519 PEM public key.")
@click.option("--any-signer", is_flag=True,
              help="Accept a valid signature by any key (who signed is then not checked).")
def bundle_verify(bundle: Path, allowed_signers: Path | None, pubkey: Path | None,
                  any_signer: bool) -> None:
    """Check BUNDLE against its manifest and signature, and who signed it.

    Names every altered, missing or extra file and a bad or missing signature. The signer
    must be allowed: --allowed-signers (the organisation code in the manifest is the
    principal, the signing date must fall within the key's dates) or --pubkey; without
    either the command fails unless --any-signer is given. Exit 0 verified, 1 the bundle
    fails verification or the signer was not checked, 2 unusable input.
    """
    from auditor.bundle.allowed_signers import check_signer, load_allowed_signers
    from auditor.bundle.signing import load_public_key, verify_bundle

    if sum(map(bool, (allowed_signers, pubkey, any_signer))) > 1:
        raise InputError("give one of --allowed-signers, --pubkey and --any-signer")
    signers = load_allowed_signers(allowed_signers) if allowed_signers else None
    keys = [load_public_key(pubkey)] if pubkey else None
    result = verify_bundle(bundle, keys)
    for problem in result.problems:
        click.echo(str(problem))
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    from auditor.report.freshness import stale_reports

    for stale in stale_reports(bundle):
        click.echo(f"warning: {stale} (rerun 'auditor report {bundle} -o FOLDER')", err=True)
    refused = None
    if result.ok and signers is not None and result.public_key is not None:
        principal = _results_organisation(bundle)
        if principal is None or principal != (result.organisation or "").strip():
            refused = (f"the manifest names organisation {result.organisation!r} but "
                       f"results.json names {principal!r}")
        else:
            refused = check_signer(signers, principal, result.public_key)
        if refused:
            click.echo(f"untrusted_key: manifest.sig: {refused}")
    if not result.ok or refused:
        count = len(result.problems) + bool(refused)
        click.echo(f"FAILED: {bundle}: {count} problems", err=True)
        sys.exit(int(ExitCode.NONCOMPLIANT))
    if not (signers or keys or any_signer):
        click.echo(f"FAILED: {bundle}: {result.files} files unaltered and signed by "
                   f"{result.fingerprint}, but the signer was not checked: give "
                   "--allowed-signers FILE or --pubkey KEY (or --any-signer to accept any key)",
                   err=True)
        sys.exit(int(ExitCode.NONCOMPLIANT))
    who = (f" for organisation {result.organisation}" if signers else
           " (any signer accepted)" if any_signer else "")
    click.echo(f"OK: {bundle}: {result.files} files unaltered, signed by {result.fingerprint}"
               f"{who}")


def _results_organisation(bundle: Path) -> str | None:
    """The organisation code results.json names (the principal an allowed signer needs)."""
    from auditor.review.load import read_results

    try:
        code = read_results(bundle / "results.json").organisation.get("code")
    except (OSError, ValueError):
        return None
    return code.strip() if isinstance(code, str) else None


@click.command("review")
@click.argument("bundles", nargs=-1, required=True,
                type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for index.html, review.csv and review.sqlite.")
@click.option("--trusted-keys", type=click.Path(dir_okay=False, path_type=Path),
              help="Who may sign for which organisation: an OpenSSH allowed_signers file "
                   "(organisation code as principal, valid-after/valid-before dates). The "
                   "older YAML/JSON mapping of code to keys is still read.")
@click.option("--previous", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of an earlier review, to show what improved and what regressed.")
@click.option("--lang", type=LANG_CHOICE, default="id", show_default=True,
              help="Language of the site: id (Bahasa Indonesia) or en.")
@click.option("--history", "history", metavar="STORE",
              help="Append this round to a history store: a DuckDB file (created if missing) "
                   "or a postgresql:// URL; index.html then shows trend and capacity charts.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def review_command(bundles: tuple[Path, ...], output: Path, trusted_keys: Path | None,
                   previous: Path | None, lang: str, history: str | None, quiet: bool) -> None:
    """The national view over many pemda bundles.

    Each bundle is verified first: a tampered, unsigned, untrusted or malformed bundle is
    flagged and left out, never merged. Writes DIR/index.html, DIR/review.csv and
    DIR/review.sqlite. Exit 0 every bundle accepted, 1 some were rejected, 2 bad input.
    """
    from auditor.review import review as run_review

    progress = not quiet and sys.stderr.isatty()

    def on_bundle(done: int, total: int, report: BundleReport) -> None:
        if progress and (done == total or done % 10 == 0):
            click.echo(f"\rbundles {done}/{total}", nl=done == total, err=True)

    if trusted_keys is None and not quiet:
        click.echo("warning: no --trusted-keys: signatures are checked, but not who signed; "
                   "give an allowed_signers file to know", err=True)
    outcome = run_review(list(bundles), output, lang, trusted_keys, previous, on_bundle,
                         history=history)
    if not quiet:
        click.echo(f"{outcome.accepted} of {len(outcome.bundles)} bundles accepted; "
                   f"{outcome.index}, {outcome.csv.name}, {outcome.database.name}", err=True)
        kept = outcome.history
        if kept is not None:
            click.echo(f"history {kept.where}: " + (
                f"round {kept.round} appended ({kept.new_bundles} new bundles of "
                f"{kept.accepted} accepted)" if kept.round is not None else
                f"nothing new: all {kept.accepted} accepted bundles are already kept; "
                "no round added"), err=True)
    for rejected in outcome.rejected:
        said = [p.removeprefix(f"{rejected.trust}: ") for p in rejected.problems[:3]]
        click.echo(f"  rejected {rejected.path}: {rejected.trust}: {'; '.join(said)}", err=True)
    sys.exit(int(ExitCode.NONCOMPLIANT if outcome.rejected else ExitCode.OK))


COMMANDS = (assess_command, bundle_group, review_command, history_group)
"""What cli.py registers: ``for command in COMMANDS: cli.add_command(command)``."""

