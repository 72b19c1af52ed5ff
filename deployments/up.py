"""`learning-district up`: a local Prefect server and every deployment served, until Ctrl-C."""

from __future__ import annotations

from rich.console import Console


def run_up(*, console: Console) -> None:
    """Start (or reuse) the Prefect API, serve every deployment, stop cleanly on Ctrl-C."""
    from prefect import serve

    from deployments.catalog import build_deployments
    from deployments.server import prefect_api
    from models.db import session_scope
    from tasks.registry import active_profile

    with session_scope() as session:
        profile = active_profile(session)
    deployments = build_deployments(profile)
    with prefect_api() as api_url:
        console.print(f"Prefect UI: {api_url.removesuffix('/api')}  (Ctrl-C stops everything)")
        for d in deployments:
            console.print(f"  serving {d.flow_name}/{d.name}")
        try:
            serve(*deployments, print_starting_message=False)
        except KeyboardInterrupt:
            pass
    console.print("stopped")
