"""``tierguard audit --endpoint URL --model NAME``: measure a served model's behaviour (censorship, identity,
trigger-dependent insecure code, instruction hijacking) through any OpenAI-compatible chat endpoint, and
report it like every command (the audited model is an asset whose findings the policy packs judge).

Exit codes: 0 no decision at or above --fail-on (and the audit complete, with --fail-on-incomplete); 1 one
is (or the audit stopped early); 2 usage or input error (bad URL, bad probe file, nothing answered)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tierguard.cli.common import FORMAT_HELP, VERDICT_FAIL_ON, check_choice, emit, prepare_output
from tierguard.model import VERDICT_ORDER, Context, ScanResult

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_SUITES = ("political", "identity", "code-trigger", "hijack")
USE_MODES = ("self-hosted", "hosted-api")
SECTORS = ("government", "critical-infrastructure", "general")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tierguard" / "audit"


def print_audit(result: ScanResult, console: Console) -> None:
    """The per-suite rates and the significance tests, then the usual decisions view."""
    from rich.markup import escape
    from rich.table import Table

    from tierguard.report.console import print_result

    audit = result.audit
    if audit is not None:
        console.print(
            f"[bold]audit[/] {escape(audit.model)} at {escape(audit.endpoint)}  "
            f"({audit.requests} requests, {audit.cached} cached, "
            f"{audit.prompt_tokens + audit.completion_tokens} tokens; "
            f"temperature {audit.temperature:g}, seed {audit.seed})",
            highlight=False,
        )
        if audit.served_models:
            console.print(f"served model(s): {escape(', '.join(audit.served_models))}", highlight=False)
        if audit.stopped:
            console.print(f"[yellow]incomplete:[/] {escape(audit.stopped)}", highlight=False)
        table = Table("model", "suite", "lang", "label", "k/n", "rate", "95% CI", title="rates")
        for r in audit.rates:
            if r.topic == "*" and r.variant == "*":
                table.add_row(
                    escape(r.model), escape(r.suite), r.lang, escape(r.label), f"{r.k}/{r.n}",
                    f"{100 * r.rate:.0f}%", f"{100 * r.low:.0f}-{100 * r.high:.0f}%",
                )  # fmt: skip
        console.print(table)
        for c in audit.comparisons:
            mark = "[bold red]significant[/]" if c.significant else "not significant"
            console.print(
                f"{escape(c.suite)} {escape(c.label)}: {escape(c.a)} {100 * c.rate_a:.0f}% vs "
                f"{escape(c.b)} {100 * c.rate_b:.0f}% ({c.test}, n={c.n}, p={c.p_value:.3g}) {mark}",
                highlight=False,
            )
    print_result(result, console)


def audit_exit(result: ScanResult, fail_on: str, fail_on_incomplete: bool) -> int:
    if fail_on != "never" and any(
        VERDICT_ORDER[d.effective_verdict] >= VERDICT_ORDER[fail_on] for d in result.decisions
    ):
        return 1
    return 1 if fail_on_incomplete and result.audit is not None and not result.audit.complete else 0


# size: the command's options are its signature (typer reads them from it), one or two lines per flag
def register(app: typer.Typer) -> None:
    # size: one or two lines per option; the body only checks them and hands them to run_audit
    @app.command("audit")
    def audit(
        endpoint: Annotated[str, typer.Option(help="OpenAI-compatible base URL (with or without /v1).")],
        model: Annotated[str, typer.Option(help="The model name to ask for (the declared model).")],
        suite: Annotated[
            list[str] | None,
            typer.Option(
                "--suite", help=f"Built-in suite (repeatable; default: {', '.join(DEFAULT_SUITES)})."
            ),
        ] = None,
        probes: Annotated[
            list[Path] | None, typer.Option("--probes", help="Probe file: YAML/JSON/JSONL/CSV (repeatable).")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "table",
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
        ] = None,
        api_key_env: Annotated[str, typer.Option(help="Environment variable holding the API key.")] = (
            "OPENAI_API_KEY"
        ),
        concurrency: Annotated[int, typer.Option(help="Requests in flight at most.")] = 4,
        max_requests: Annotated[int | None, typer.Option(help="Request budget (retries count).")] = None,
        max_tokens_total: Annotated[
            int | None, typer.Option(help="Token budget (prompt + completion).")
        ] = None,
        timeout: Annotated[float, typer.Option(help="Seconds per request, first byte to last.")] = 120.0,
        deadline: Annotated[float | None, typer.Option(help="Seconds for the whole run.")] = None,
        retries: Annotated[int, typer.Option(help="Retries on 429/5xx/timeouts (exponential backoff).")] = 3,
        cache_dir: Annotated[
            Path | None, typer.Option(help="Response cache directory (default ~/.cache/tierguard/audit).")
        ] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Send every probe again.")] = False,
        max_tokens: Annotated[int, typer.Option(help="max_tokens per answer.")] = 512,
        temperature: Annotated[float, typer.Option(help="Sampling temperature (recorded).")] = 0.0,
        seed: Annotated[int, typer.Option(help="Sampling seed (recorded).")] = 0,
        reference_endpoint: Annotated[str | None, typer.Option(help="Reference model's endpoint.")] = None,
        reference_model: Annotated[
            str | None, typer.Option(help="Reference model for a paired test.")
        ] = None,
        reference_api_key_env: Annotated[
            str | None, typer.Option(help="Key variable of the reference endpoint (default: --api-key-env).")
        ] = None,
        judge_endpoint: Annotated[
            str | None, typer.Option(help="LLM judge endpoint (text categories; code stays static analysis).")
        ] = None,
        judge_model: Annotated[str | None, typer.Option(help="LLM judge model.")] = None,
        judge_api_key_env: Annotated[
            str | None, typer.Option(help="Key variable of the judge endpoint (default: --api-key-env).")
        ] = None,
        use_mode: Annotated[
            str | None, typer.Option(help="self-hosted | hosted-api (default: from the endpoint address).")
        ] = None,
        country: Annotated[
            str | None, typer.Option(help="Deployment country (ISO alpha-2) for policy.")
        ] = None,
        sector: Annotated[
            str, typer.Option(help="government, critical-infrastructure or general.")
        ] = "general",
        pack: Annotated[
            list[str] | None, typer.Option("--pack", help="Policy pack id/path (repeatable; default: all).")
        ] = None,
        fail_on: Annotated[str, typer.Option(help="Exit 1 at this verdict or above (or 'never').")] = "deny",
        fail_on_incomplete: Annotated[
            bool, typer.Option(help="Exit 1 when the audit stopped early.")
        ] = False,
    ) -> None:
        """Audit a served model's behaviour through its OpenAI-compatible endpoint (never executes output)."""
        from tierguard.audit.errors import AuditError

        try:  # before anything imports the client, which needs it
            import httpx  # noqa: F401
        except ImportError:
            raise AuditError("tierguard audit needs httpx: pip install 'tierguard[audit]'") from None
        from tierguard.audit.client import Limits
        from tierguard.audit.interface import Sampling
        from tierguard.audit.run import AuditOptions, load_suites, run_audit

        check_choice(fail_on, VERDICT_FAIL_ON, "--fail-on")
        check_choice(sector, SECTORS, "--sector")
        if use_mode is not None:
            check_choice(use_mode, USE_MODES, "--use-mode")
        if bool(reference_endpoint) != bool(reference_model):
            raise AuditError("--reference-endpoint and --reference-model go together")
        if bool(judge_endpoint) != bool(judge_model):
            raise AuditError("--judge-endpoint and --judge-model go together")
        out_path = prepare_output(fmt, output)
        selectors = [*(suite or ()), *(str(p) for p in probes or ())] or list(DEFAULT_SUITES)
        suites = load_suites(selectors)
        opts = AuditOptions(
            endpoint=endpoint,
            model=model,
            sampling=Sampling(temperature=temperature, top_p=1.0, max_tokens=max_tokens, seed=seed),
            limits=Limits(
                concurrency=concurrency,
                timeout=timeout,
                deadline=deadline,
                retries=max(retries, 0),
                max_requests=max_requests,
                max_tokens_total=max_tokens_total,
            ),  # fmt: skip
            api_key_env=api_key_env,
            cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
            reference_endpoint=reference_endpoint,
            reference_model=reference_model,
            reference_api_key_env=reference_api_key_env,
            judge_endpoint=judge_endpoint,
            judge_model=judge_model,
            judge_api_key_env=judge_api_key_env,
            use_mode=use_mode,  # type: ignore[arg-type]
            context=Context(country=country.upper() if country else None, sector=sector),  # type: ignore[arg-type]
            packs=pack or None,
        )
        result = run_audit(opts, suites)
        emit(result, fmt, out_path, console_printer=print_audit)
        raise typer.Exit(audit_exit(result, fail_on, fail_on_incomplete))
