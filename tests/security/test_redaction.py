"""Secret values of Apprise services are found and redacted from log records."""

from __future__ import annotations

import logging

import apprise
import pytest

from tasks.common.redaction import REDACTED, SecretRedactor, guard_logs, service_secrets

CONFIG = """\
version: 1
template:
  - robot_token
urls:
  - json://user:p%40ss-w0rd@127.0.0.1:9/hook:
      tag: sink
  - dingtalk://literalTok123/:
      tag: robot-a
  - dingtalk://${robot_token}/:
      tag: robot-b
"""


def loaded_services() -> list[object]:
    asset = apprise.AppriseAsset(allow_templates=True)
    config = apprise.AppriseConfig(asset=asset)
    config.add_config(CONFIG, format="yaml")
    loaded = apprise.Apprise(asset=asset)
    loaded.add(config)
    return list(loaded.find(match_always=False, resolve=False))


def test_private_tokens_and_template_values_are_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRISE_TEMPLATE_ROBOT_TOKEN", "envTok456")
    assert service_secrets(loaded_services()) == {"p@ss-w0rd", "literalTok123", "envTok456"}
    monkeypatch.delenv("APPRISE_TEMPLATE_ROBOT_TOKEN")
    assert "envTok456" not in service_secrets(loaded_services())


def test_redactor_replaces_raw_and_url_quoted_forms() -> None:
    redactor = SecretRedactor(["p@ss-w0rd", "ab"])  # "ab" is too short to guard
    text = "json://user:p%40ss-w0rd@host and p@ss-w0rd, ab stays"
    assert redactor.redact(text) == f"json://user:{REDACTED}@host and {REDACTED}, ab stays"


def test_guarded_loggers_redact_before_any_handler(caplog: pytest.LogCaptureFixture) -> None:
    guard_logs(["tokQ9w8e7r6"])
    caplog.set_level(logging.DEBUG, logger="apprise")
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    logging.getLogger("apprise").debug("URL: https://x/send?access_token=%s", "tokQ9w8e7r6")
    logging.getLogger("urllib3.connectionpool").debug(
        '"POST /send?access_token=tokQ9w8e7r6 HTTP/1.1" 200'
    )
    assert "tokQ9w8e7r6" not in caplog.text
    assert caplog.text.count(f"access_token={REDACTED}") == 2
