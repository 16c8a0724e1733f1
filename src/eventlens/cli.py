"""The ``eventlens`` command: run the parts of the system and administer it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console

from eventlens.config import Settings

app = typer.Typer(help="EventLens: event photos, every face indexed, guests find theirs with a selfie.")
db_app = typer.Typer(help="Database schema.")
user_app = typer.Typer(help="Accounts.")
faces_app = typer.Typer(help="Face index.")
bench_app = typer.Typer(help="Measurements.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(faces_app, name="faces")
app.add_typer(bench_app, name="bench")

console = Console(stderr=True)
log = logging.getLogger("eventlens.cli")


def _settings() -> Settings:
    return Settings()


def _migrate(settings: Settings) -> None:
    from eventlens.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)


def _require_current_schema(settings: Settings) -> None:
    """Processes that scale out don't migrate (several at once would race): they refuse an old schema."""
    from eventlens.db import make_engine
    from eventlens.migrate import is_current

    engine = make_engine(settings.resolved_database_url)
    try:
        current = is_current(engine)
    finally:
        engine.dispose()
    if not current:
        console.print("[red]The database schema is not up to date.[/] Run `eventlens db upgrade` first.")
        raise typer.Exit(1)


def _run_http(settings: Settings, host: str | None, port: int | None, *, run_jobs: bool) -> None:
    import uvicorn

    from eventlens.app import create_app
    from eventlens.photos.decode_budget import return_freed_images_to_the_os

    return_freed_images_to_the_os()
    web = create_app(settings, run_jobs=run_jobs, warm_up=True)
    uvicorn.run(
        web,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        # X-Forwarded-For only from the proxies named in the settings: otherwise any client could pick
        # the address its rate limits are counted under.
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or None,
        timeout_graceful_shutdown=10,
    )


def _start_notes(settings: Settings) -> list[str]:
    """What a newcomer must know at start: who becomes admin, and where guest links point."""
    from eventlens.auth.service import has_accounts
    from eventlens.db import make_engine, make_session_factory, session_scope
    from eventlens.events.links import is_loopback

    notes = []
    engine = make_engine(settings.resolved_database_url)
    try:
        with session_scope(make_session_factory(engine, read_only=True)) as db:
            if not has_accounts(db):
                notes.append("Open the address in a browser: the first account you create becomes the admin.")
    finally:
        engine.dispose()
    if is_loopback(settings.base_url):
        notes.append(
            f"[yellow]Guest links and QR codes point at {settings.base_url}, which only this computer "
            "opens.[/] Set EVENTLENS_BASE_URL to the address guests' phones reach (e.g. "
            "EVENTLENS_BASE_URL=https://photos.example.com in the environment or in .env)."
        )
    return notes


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Listen address (default: EVENTLENS_HOST)."),
    port: int | None = typer.Option(None, help="HTTP port (default: EVENTLENS_PORT)."),
) -> None:
    """Everything on one machine: migrations, web app and API."""
    settings = _settings()
    _migrate(settings)
    url = f"http://{host or settings.host}:{port or settings.port}"
    console.print(
        f"[bold green]EventLens[/] is starting at [link={url}]{url}[/link]\n"
        f"  data: {settings.data_dir.resolve()}  database: {settings.resolved_database_url.split('://')[0]}"
        f"  objects: {settings.storage}"
    )
    for line in _start_notes(settings):
        console.print(f"  {line}")
    gateway = _start_ftp_beside(settings, host, port) if settings.ftp_enabled else None
    try:
        _run_http(settings, host, port, run_jobs=True)
    finally:
        if gateway is not None:
            gateway.stop()


@app.command()
def api(
    host: str | None = typer.Option(None, help="Listen address (default: EVENTLENS_HOST)."),
    port: int | None = typer.Option(None, help="HTTP port (default: EVENTLENS_PORT)."),
) -> None:
    """Only the web app and API (for running several behind a load balancer). Run `db upgrade` first."""
    settings = _settings()
    _require_current_schema(settings)
    _run_http(settings, host, port, run_jobs=False)


@app.command()
def worker(
    threads: int | None = typer.Option(None, help="Job threads (default: EVENTLENS_WORKER_THREADS)."),
) -> None:
    """Only a job consumer (photo processing, face indexing). Ctrl-C stops it after the current jobs."""
    from eventlens.app import build_context
    from eventlens.jobs.worker import run_standalone
    from eventlens.logs import configure_logging
    from eventlens.photos.decode_budget import return_freed_images_to_the_os

    settings = _settings()
    configure_logging(settings.log_level)
    _require_current_schema(settings)
    return_freed_images_to_the_os()
    ctx = build_context(settings)
    backend = "Redis" if settings.redis_url else f"SQLite ({settings.data_dir / 'queue.db'})"
    console.print(f"EventLens worker consuming jobs from {backend}.")
    try:
        run_standalone(ctx.queue, threads or settings.worker_threads, settings.sweep_seconds)
    finally:
        ctx.engine.dispose()


def _start_ftp_beside(settings: Settings, host: str | None, port: int | None) -> Any:
    """``serve``'s FTPS gateway: a thread of this process, handing photos to this process's API.

    One that cannot start (its port taken, say) is reported and the web app starts all the same.
    """
    from eventlens.ftp import derived
    from eventlens.ftp.gateway.server import Gateway, GatewayError
    from eventlens.logs import configure_logging

    configure_logging(settings.log_level)
    try:
        gateway = Gateway(settings, api_url=derived.api_url(settings, host, port))
    except GatewayError as exc:
        console.print(f"  [yellow]FTPS gateway not started:[/] {exc}")
        return None
    console.print("  " + gateway.describe(), soft_wrap=True, highlight=False, emoji=False, markup=False)
    gateway.start()
    return gateway


@app.command()
def ftp() -> None:
    """Only the FTPS gateway (cameras upload to it; it hands each photo to EVENTLENS_FTP_API_URL)."""
    import contextlib
    import signal

    from eventlens.ftp.gateway.server import Gateway, GatewayError
    from eventlens.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    try:
        gateway = Gateway(settings)
    except GatewayError as exc:
        console.print(f"[red]FTPS gateway:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(gateway.describe(), soft_wrap=True, highlight=False, emoji=False, markup=False)
    # SIGTERM (service managers) ends it like Ctrl-C: connections closed, unsent files kept in the spool.
    signal.signal(signal.SIGTERM, lambda _sig, _frame: gateway.stop())
    with contextlib.suppress(KeyboardInterrupt):  # serve_forever has shut down by then
        gateway.serve_forever()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (SQLite or PostgreSQL)."""
    settings = _settings()
    _migrate(settings)
    console.print("Database schema is up to date.")


@user_app.command("create")
def user_create(
    email: str = typer.Option(..., help="E-mail address (the login)."),
    name: str = typer.Option(..., help="Display name."),
    role: str = typer.Option("photographer", help="admin or photographer."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given."
    ),
) -> None:
    """Create an account (also when sign-up is closed)."""
    from pydantic import TypeAdapter, ValidationError
    from pydantic.networks import EmailStr

    from eventlens.auth.service import create_user
    from eventlens.db import make_engine, make_session_factory, session_scope
    from eventlens.errors import ApiError
    from eventlens.models import Role

    try:
        TypeAdapter(EmailStr).validate_python(email)
    except ValidationError:
        console.print(f"[red]Not an e-mail address:[/] {email}")
        raise typer.Exit(2) from None
    if role not in {r.value for r in Role}:
        console.print("[red]--role must be admin or photographer.[/]")
        raise typer.Exit(2)
    if len(password) < 8:
        console.print("[red]The password must have at least 8 characters.[/]")
        raise typer.Exit(2)
    settings = _settings()
    _migrate(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        with session_scope(make_session_factory(engine)) as db:
            user = create_user(db, email=email, password=password, name=name, role=Role(role))
            console.print(f"Created {user.role.value} {user.email} ({user.id}).")
    except ApiError as exc:
        console.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@app.command()
def upload(
    folder: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="Folder of photos (searched recursively)."
    ),
    event: str = typer.Option(..., "--event", help="Event id or link name (slug)."),
    server: str = typer.Option("http://127.0.0.1:8000", envvar="EVENTLENS_SERVER", help="EventLens address."),
    token: str = typer.Option(..., envvar="EVENTLENS_TOKEN", help="API token (make one on the tokens page)."),
    parallel: int = typer.Option(4, min=1, max=16, help="Uploads at once."),
) -> None:
    """Upload a folder of photos to an event, skipping files the event already has."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.table import Table

    from eventlens.photos.uploader import UploadClient, UploadError, find_photos, sha256_of, upload_all

    photos = list(find_photos(folder))
    if not photos:
        console.print(f"No photos (JPEG, PNG, WebP, HEIC) found in {folder}.")
        raise typer.Exit(1)
    client = UploadClient(server, token)
    try:
        try:
            info = client.check_event(event)
        except (UploadError, httpx.HTTPError) as exc:
            console.print(f"[red]Cannot use event {event} on {server}:[/] {exc}")
            raise typer.Exit(1) from None
        event = str(info["id"])
        total_bytes = sum(p.size for p in photos)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            hashing = progress.add_task("hashing", total=len(photos))
            for p in photos:
                p.sha256 = sha256_of(p.path)
                progress.advance(hashing)
            progress.remove_task(hashing)
            bar = progress.add_task(f"uploading to {info.get('name', event)}", total=total_bytes)
            done = {"files": 0}

            def advance(outcome: object) -> None:
                done["files"] += 1
                progress.update(bar, advance=outcome.photo.size)  # type: ignore[attr-defined]

            report = upload_all(client, event, photos, parallel=parallel, on_done=advance)
    except UploadError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    finally:
        client.close()
    console.print(
        f"[green]{report.count('stored')} uploaded[/], {report.count('skipped')} already there, "
        f"{report.count('duplicate')} duplicates, [red]{len(report.failed)} failed[/] "
        f"({len(photos)} files, {total_bytes / 1e6:.1f} MB)."
    )
    if report.failed:
        table = Table("file", "why")
        for o in report.failed:
            table.add_row(str(o.photo.path.relative_to(folder)), o.reason)
        console.print(table)
        raise typer.Exit(1)


@faces_app.command("reindex")
def faces_reindex(
    event: str | None = typer.Option(None, "--event", help="Event id or link name (slug)."),
    all_events: bool = typer.Option(False, "--all", help="Every event."),
) -> None:
    """Detect and embed every face again with the current engine (after changing engine or version)."""

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from eventlens.app import build_context
    from eventlens.db import session_scope
    from eventlens.events.service import event_ref
    from eventlens.faces.service import reindex_ids
    from eventlens.logs import configure_logging
    from eventlens.photos import processing

    if (event is None) == (not all_events):
        console.print("[red]Give either --event ID or --all.[/]")
        raise typer.Exit(2)
    settings = _settings()
    configure_logging("WARNING")
    _require_current_schema(settings)
    ctx = build_context(settings)
    try:
        event_id = None
        if event:
            with session_scope(ctx.read_sessions) as db:
                event_id = event_ref(db, event)
            if event_id is None:
                console.print(f"[red]No event has the id or link name[/] {event}")
                raise typer.Exit(2)
        ids = reindex_ids(ctx.sessions, event_id)
        faces = ctx.faces
        console.print(f"Re-indexing {len(ids)} photos with {faces.engine_id} ({faces.version}).")
        columns = (TextColumn("[bold]faces"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            bar = progress.add_task("reindex", total=len(ids))
            for pid in ids:
                processing.process(ctx, pid)
                progress.advance(bar)
    finally:
        ctx.engine.dispose()


@bench_app.command("accuracy")
def bench_accuracy(
    dataset: Path = typer.Option(
        ..., "--dataset", exists=True, file_okay=False, help="identities/, groups/, nofaces/"
    ),
    engine_id: str | None = typer.Option(
        None, "--engine", help="Face engine to measure (default: EVENTLENS_FACE_ENGINE)."
    ),
    report_dir: Path | None = typer.Option(
        None, "--report", file_okay=False, help="Also write an HTML report and contact sheets here."
    ),
    lookalikes: bool = typer.Option(False, "--lookalikes", help="List every person's closest look-alike."),
) -> None:
    """Search accuracy through the real pipeline: tiers, cross-validated thresholds, several selfies,
    look-alikes, recall per face width, time per photo and per search."""
    import os

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from eventlens.logs import configure_logging

    configure_logging("WARNING")
    if engine_id:
        os.environ["EVENTLENS_FACE_ENGINE"] = engine_id  # the throw-away install reads its settings
    from eventlens.faces.engine.registry import load_engine

    if _settings().face_engine != "rekognition":  # AWS: no local model (README: AWS Rekognition)
        load_engine(_settings().face_engine)  # fails here, not after indexing, when not installed
    # The benchmark package is loaded only here: the product never imports it.
    from eventlens.bench import accuracy, report, text

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        tasks: dict[str, object] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        results = accuracy.run(dataset, progress)
    text.print_results(Console(), results, lookalike_rows=None if lookalikes else 12)
    if report_dir is not None:
        page = report.write(results, report_dir)
        console.print(f"report: {page}")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="eventlens")


if __name__ == "__main__":  # pragma: no cover
    main()
