"""A refusal the rules foresee ends a run with its reason where the clerk looks: an artifact.

The run still fails (nothing was done), but its page in the Prefect UI shows the same Chinese
reason the command line prints, not a traceback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prefect.artifacts import acreate_markdown_artifact

from models.refusal import Refusal


@asynccontextmanager
async def shown_if_refused(key: str, what: str) -> AsyncIterator[None]:
    """On a `Refusal` inside the block: a Markdown artifact `key` with its reason, then re-raise."""
    try:
        yield
    except Refusal as exc:
        lines = "\n".join(f"- {line}" for line in str(exc).splitlines() if line.strip())
        await acreate_markdown_artifact(
            key=key, markdown=f"## {what}：未办理\n\n{lines}", description=f"{what}：未办理的原因"
        )
        raise
