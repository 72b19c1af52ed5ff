"""The local outbox: without an Apprise config, every message is a JSON line in a file.

A custom Apprise scheme ``ldoutbox://`` (registered with `apprise.decorators.notify` when
this module is imported, before any config is loaded) appends one JSON line per message to
`Settings.outbox_file` for a clerk to read. The default config is the single entry
``ldoutbox://local`` tagged ``local-outbox`` (its name) and ``fallback``, so every
message reaches it.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from apprise.decorators import notify as apprise_notify

from models.settings import get_settings
from models.timeutil import utcnow
from tasks.notify.protocol import FALLBACK_TAG

LOCAL_OUTBOX_TAG = "local-outbox"
OUTBOX_SCHEME = "ldoutbox"

DEFAULT_APPRISE_CONFIG = f"""\
version: 1
urls:
  - {OUTBOX_SCHEME}://local:
      tag: {LOCAL_OUTBOX_TAG}, {FALLBACK_TAG}
"""


# --------------------------------------------------------------------------- the local outbox

_OUTBOX_LOCK = threading.Lock()


# Apprise's decorator module has no type annotations.
@apprise_notify(on=OUTBOX_SCHEME, name="learning-district local outbox")  # type: ignore[no-untyped-call,untyped-decorator]
def _write_local_outbox(
    body: str,
    title: str,
    _notify_type: str,
    *_args: Any,
    meta: dict[str, Any],
    body_format: str = "text",
    **_kwargs: Any,
) -> bool:
    """Append one message as a JSON line to the local outbox file (the `ldoutbox://` scheme)."""
    path = get_settings().outbox_file
    line = {
        "at": utcnow().isoformat(),
        "tags": sorted(str(tag) for tag in meta.get("tag", ())),
        "title": title,
        "body": body,
        # Apprise hands over its NotifyFormat enum, a str subclass; store the plain value.
        "body_format": str(getattr(body_format, "value", body_format)),
    }
    attach = _kwargs.get("attach")
    if attach:
        line["attachments"] = [str(item.name) for item in attach]
    text = json.dumps(line, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Apprise may call this from its worker threads; one lock keeps lines whole.
    with _OUTBOX_LOCK, path.open("a", encoding="utf-8") as outbox:
        outbox.write(text)
    return True
