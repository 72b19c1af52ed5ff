"""The scale-out topology: Prefect on PostgreSQL with Redis, several API processes, workers.

One installation, many processes (README "Scale-out" maps them onto machines):

- `api`          `prefect server start --no-services`: the REST API and the UI; run two or more
                 behind a load balancer. Stateless but for the database and Redis.
- `services`     `prefect server services start`: scheduler, triggers, late runs, recorders —
                 exactly one per installation.
- `worker`       `prefect worker start --type process`: polls the work pool and runs each flow
                 run as a child process; run one per worker machine.
- `task-worker`  `learning-district ideas worker`: serves the screening task queue. That queue
                 lives in the memory of the API process it was submitted through, so
                 every API process needs at least one task worker connected to it.

Deployments are registered on the process work pool with module-path entrypoints: every worker
machine has this package installed, and no code is copied around. Deployments started by events
(a decline, an objection) go to the `events` work queue, the rest to `default`.

`LocalTopology` starts the whole topology on this machine: for `scale-out local` (try it before
buying machines) and for the test that compares it with the single-machine run.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from deployments.runtime.server import SERVER_ENV, free_port, stop_process, wait_healthy
from models.profile.schema import DistrictProfile
from models.settings import ScaleOutSettings, get_settings

logger = logging.getLogger(__name__)

EVENTS_QUEUE = "events"
DEFAULT_QUEUE = "default"
ROLES = ("api", "services", "worker", "task-worker")


def server_env(scale: ScaleOutSettings) -> dict[str, str]:
    """Settings of the `api` and `services` processes (verified on Prefect 3.9)."""
    redis = scale.redis_url.get_secret_value()
    return {
        **SERVER_ENV,
        "PREFECT_API_DATABASE_CONNECTION_URL": scale.prefect_database_url.get_secret_value(),
        # migrations run once, by `scale-out upgrade`, not by every API process racing
        "PREFECT_API_DATABASE_MIGRATE_ON_START": "false",
        "PREFECT_MESSAGING_BROKER": "prefect_redis.messaging",
        "PREFECT_MESSAGING_CACHE": "prefect_redis.messaging",
        "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": "prefect_redis.ordering",
        "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": "prefect_redis.lease_storage",
        "PREFECT_SERVER_WORKER_CHANNEL_CLEANUP_QUEUE_STORAGE": "prefect_redis.cleanup_queue",
        "PREFECT_REDIS_MESSAGING_URL": redis,
        "PREFECT_REDIS_WORKER_CLEANUP_QUEUE_URL": redis,
        "PREFECT_SERVER_DOCKET_URL": redis,
    }


def client_env(scale: ScaleOutSettings, api_url: str) -> dict[str, str]:
    """Settings of the processes that run our code (workers, task workers, the CLI)."""
    env = {
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # pick up new flow runs within seconds (the default polls every 10 s)
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        # results and cache records must be readable from every worker machine
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
    }
    if scale.storage_path is not None:
        env["PREFECT_LOCAL_STORAGE_PATH"] = str(scale.storage_path)
    return env


def role_command(
    role: str,
    *,
    scale: ScaleOutSettings,
    host: str = "127.0.0.1",
    port: int = 4200,
    queues: Sequence[str] = (),
    name: str = "",
) -> list[str]:
    """The command line of one role (see the module docstring)."""
    prefect = [sys.executable, "-m", "prefect"]
    if role == "api":
        return [*prefect, "server", "start", "--no-services", "--host", host, "--port", str(port)]
    if role == "services":
        return [*prefect, "server", "services", "start"]
    if role == "worker":
        command = [*prefect, "worker", "start", "--pool", scale.work_pool, "--type", "process"]
        for queue in queues:
            command += ["--work-queue", queue]
        return command + (["--name", name] if name else [])
    if role == "task-worker":
        return [sys.executable, "-m", "deployments.cli.app", "ideas", "worker"]
    raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def role_env(role: str, *, scale: ScaleOutSettings, api_url: str = "") -> dict[str, str]:
    """The environment one role needs on top of the machine's own."""
    if role in ("api", "services"):
        return server_env(scale)
    if not api_url:
        raise ValueError(f"the {role} role needs the API address (PREFECT_API_URL)")
    return client_env(scale, api_url)


def upgrade_database(scale: ScaleOutSettings, *, timeout: float = 600) -> None:
    """Create or migrate the Prefect server's PostgreSQL schema (once per release)."""
    env = {**os.environ, **server_env(scale)}
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"prefect server database upgrade failed:\n{done.stdout[-2000:]}")


def register_deployments(
    profile: DistrictProfile, *, work_pool: str, schedules: bool = True
) -> list[str]:
    """Create the process work pool if needed and apply every deployment to it.

    Event-triggered deployments go to the `events` queue, the rest to `default`. With
    `schedules=False` the deployments are registered without their schedules (rehearsals).
    Returns the names `flow/deployment` registered.
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists
    from prefect.types.entrypoint import EntrypointType

    from deployments.catalog import build_deployments

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))
        except ObjectAlreadyExists:
            pass
    names = []
    for deployment in build_deployments(profile):
        deployment.entrypoint = module_entrypoint(str(deployment.entrypoint))
        deployment._entrypoint_type = EntrypointType.MODULE_PATH
        deployment._path = None
        deployment.work_queue_name = EVENTS_QUEUE if deployment.triggers else DEFAULT_QUEUE
        if not schedules:
            deployment.schedules = []
        deployment.apply(work_pool_name=work_pool)
        names.append(f"{deployment.flow_name}/{deployment.name}")
    return names


def module_entrypoint(entrypoint: str) -> str:
    """`flows/annual_cycle.py:annual_cycle` (relative to any directory) → the module path."""
    if ":" not in entrypoint:
        return entrypoint
    file, function = entrypoint.rsplit(":", 1)
    root = Path(__file__).resolve().parents[2]
    path = Path(file) if Path(file).is_absolute() else (Path.cwd() / file)
    module = path.resolve().relative_to(root).with_suffix("")
    return ".".join([*module.parts, function])


@dataclass
class Process:
    """One started role: its process, the API it serves or uses, its log file."""

    role: str
    name: str
    process: subprocess.Popen[bytes]
    log_file: Path
    api_url: str = ""


@dataclass
class LocalTopology:
    """The whole scale-out topology on this machine (each role its own process group)."""

    scale: ScaleOutSettings
    home: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, role: str, *, name: str, api_url: str = "", **options: object) -> Process:
        """Start one role as a child process group, logging to `<home>/<name>.log`."""
        home = self.home / name
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **role_env(role, scale=self.scale, api_url=api_url)}
        env["PREFECT_HOME"] = str(home)
        if role == "api":
            env.pop("PREFECT_API_URL", None)
            env["PREFECT_UI_API_URL"] = api_url
        command = role_command(role, scale=self.scale, name=name, **options)  # type: ignore[arg-type]
        log_file = self.home / f"{name}.log"
        with log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        started = Process(role, name, process, log_file, api_url)
        self.processes.append(started)
        logger.info("started %s (%s), pid %d, log %s", name, role, process.pid, log_file)
        return started

    def stop(self) -> None:
        """Stop workers first, then the servers; SIGINT (workers ignore SIGTERM for 20+ s)."""
        for process in reversed(self.processes):
            stop_process(process.process, grace=30)
        self.processes.clear()

    def exited(self) -> list[str]:
        """Names of roles whose process has exited: empty while all of them run."""
        return [p.name for p in self.processes if p.process.poll() is not None]


@contextmanager
def local_topology(
    profile: DistrictProfile,
    *,
    scale: ScaleOutSettings,
    home: Path | None = None,
    schedules: bool = True,
    timeout: float = 180,
) -> Iterator[tuple[LocalTopology, str, str]]:
    """Start two API processes, the services, two workers and a task worker per API process.

    Worker A polls `default` through API A; worker B polls `default` and `events` through API B,
    so an event sent through API A is handled by work served through API B. Yields the topology
    and the two API addresses; stops everything on exit.
    """
    home = (home or get_settings().data_dir / "scale-out").resolve()
    home.mkdir(parents=True, exist_ok=True)
    topology = LocalTopology(scale=scale, home=home)
    started = time.monotonic()
    upgrade_database(scale)
    logger.info("Prefect database ready in %.1f s", time.monotonic() - started)
    with ExitStack() as stack:
        stack.callback(topology.stop)
        ports = free_port(), free_port()
        urls = [f"http://127.0.0.1:{port}/api" for port in ports]
        # one after the other: each API process registers Prefect's block types on start,
        # and two doing it at once collide on the unique slug (README, Scale-out)
        for label, url, port in zip("ab", urls, ports, strict=True):
            server = topology.start("api", name=f"api-{label}", api_url=url, port=port)
            wait_healthy(url, timeout=timeout, process=server.process, log_file=server.log_file)
        topology.start("services", name="services")
        _register(profile, scale=scale, api_url=urls[0], schedules=schedules)
        topology.start("worker", name="worker-a", api_url=urls[0], queues=[DEFAULT_QUEUE])
        topology.start(
            "worker", name="worker-b", api_url=urls[1], queues=[DEFAULT_QUEUE, EVENTS_QUEUE]
        )
        for label, url in zip("ab", urls, strict=True):
            topology.start("task-worker", name=f"task-worker-{label}", api_url=url)
        logger.info("scale-out topology up in %.1f s", time.monotonic() - started)
        yield topology, urls[0], urls[1]


def _register(
    profile: DistrictProfile, *, scale: ScaleOutSettings, api_url: str, schedules: bool
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        register_deployments(profile, work_pool=scale.work_pool, schedules=schedules)
