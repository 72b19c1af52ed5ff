"""Local fake servers that speak the Chinese vendors' protocols, on an injectable clock.

`VendorFake("dingtalk" | "wecom" | "feishu" | "sms", clock=...)` answers as the vendor does:
HTTP 200 with an error code when it refuses (bad token, signature, keyword, too fast), its
success code when it takes the message. Signatures are checked here with code of its own (not
the product's), rate limits are counted on the shared `FakeClock`, so a test runs ten minutes of
throttling in milliseconds. `delivered` holds what the vendor accepted, `requests` every try.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tests.sinks import _Server


class FakeClock:
    """Seconds since the epoch that move only when someone sleeps or the test advances them."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def time(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class Received:
    at: float
    path: str
    query: dict[str, str]
    payload: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message text as the group sees it (robots), or the rendered SMS."""
        if "text" in self.payload and isinstance(self.payload["text"], dict):
            return str(self.payload["text"]["content"])
        if "markdown" in self.payload:
            markdown = self.payload["markdown"]
            return str(markdown.get("text", markdown.get("content", "")))
        if "content" in self.payload and isinstance(self.payload["content"], dict):
            return str(self.payload["content"]["text"])
        return str(self.payload.get("rendered", ""))


def _aliyun_sign(params: dict[str, str], secret: str) -> str:
    def enc(value: str) -> str:
        return quote(value, safe="~")

    query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    text = "POST&%2F&" + enc(query)
    digest = hmac.new((secret + "&").encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class VendorFake:
    """One vendor's endpoint on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        vendor: str,
        *,
        clock: FakeClock,
        token: str = "robot-token-1",
        secret: str | None = None,
        keyword: str | None = None,
        per_minute: int = 20,
        block_seconds: float = 600.0,
        max_bytes: int | None = None,
        templates: dict[str, tuple[list[str], str]] | None = None,
        signs: tuple[str, ...] = ("示例区社区教育",),
        access_key: tuple[str, str] = ("LTAI-test-id", "test-key-secret"),
    ) -> None:
        self.vendor = vendor
        self.clock = clock
        self.token = token
        self.secret = secret
        self.keyword = keyword
        self.per_minute = per_minute
        self.block_seconds = block_seconds
        self.max_bytes = max_bytes
        self.templates = templates or {}
        self.signs = signs
        self.access_key = access_key
        self.requests: list[Received] = []
        self.delivered: list[Received] = []
        self.others: list[float] = []  # sends by another system sharing the robot
        self.blocked_until = 0.0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if fake.vendor == "sms":
                    payload = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
                else:
                    payload = json.loads(raw)
                status, answer = fake.handle(parts.path, query, payload)
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def other_sender(self, count: int) -> None:
        """`count` messages sent to the robot just now by another system."""
        with self._lock:
            self.others += [self.clock.time()] * count

    def in_window(self, at: float, span: float = 60.0) -> int:
        """Messages the vendor counted in the `span` seconds up to `at` (ours and others')."""
        times = [r.at for r in self.delivered] + self.others
        return sum(1 for t in times if at - span < t <= at)

    # ------------------------------------------------------------------ protocols

    def handle(
        self, path: str, query: dict[str, str], payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            now = self.clock.time()
            received = Received(now, path, query, payload)
            self.requests.append(received)
            status, answer = getattr(self, f"_{self.vendor}")(received, now)
            received.answer = answer
            if status == 200 and answer.get("errcode", answer.get("code", answer.get("Code"))) in (
                0,
                "OK",
            ):
                self.delivered.append(received)
            return status, answer

    def _throttled(self, now: float) -> bool:
        if now < self.blocked_until:
            return True
        if self.in_window(now) >= self.per_minute:
            self.blocked_until = now + self.block_seconds
            return True
        return False

    def _dingtalk(self, r: Received, now: float) -> tuple[int, dict[str, Any]]:
        if r.path != "/robot/send" or r.query.get("access_token") != self.token:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        if self.secret is not None:
            stamp = r.query.get("timestamp", "")
            expected = base64.b64encode(
                hmac.new(
                    self.secret.encode(), f"{stamp}\n{self.secret}".encode(), hashlib.sha256
                ).digest()
            ).decode()
            fresh = stamp.isdigit() and abs(int(stamp) - now * 1000) < 3_600_000
            if not fresh or r.query.get("sign") != expected:
                return 200, {"errcode": 310000, "errmsg": "sign not match, more: [see docs]"}
        if self.keyword and self.keyword not in r.text:
            return 200, {"errcode": 310000, "errmsg": "keywords not in content, more: [...]"}
        if len(r.text.encode()) > (self.max_bytes or 20_000):
            return 200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}
        if self._throttled(now):
            return 200, {"errcode": 410100, "errmsg": "send too fast, exceed 20 times per minute"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _wecom(self, r: Received, now: float) -> tuple[int, dict[str, Any]]:
        if r.path != "/cgi-bin/webhook/send" or r.query.get("key") != self.token:
            return 200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [...]"}
        if len(r.text.encode()) > (self.max_bytes or 2048):
            return 200, {"errcode": 40058, "errmsg": "content exceed max length 2048"}
        if self._throttled(now):
            return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _feishu(self, r: Received, now: float) -> tuple[int, dict[str, Any]]:
        if r.path != f"/open-apis/bot/v2/hook/{self.token}":
            return 200, {"code": 19001, "msg": "param invalid: incoming webhook access token"}
        if self.secret is not None:
            stamp = str(r.payload.get("timestamp", ""))
            key = f"{stamp}\n{self.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            fresh = stamp.isdigit() and abs(int(stamp) - now) < 3600
            if not fresh or r.payload.get("sign") != expected:
                return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within"}
        if self.keyword and self.keyword not in r.text:
            return 200, {"code": 19024, "msg": "Key Words Not Found"}
        if self._throttled(now):
            return 200, {"code": 11232, "msg": "frequency limited"}
        return 200, {"code": 0, "msg": "success", "data": {}}

    def _sms(self, r: Received, now: float) -> tuple[int, dict[str, Any]]:
        params = dict(r.payload)
        signature = params.pop("Signature", "")
        key_id, key_secret = self.access_key
        if params.get("AccessKeyId") != key_id:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key"}
        if signature != _aliyun_sign(params, key_secret):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "signature does not match"}
        if params.get("Action") != "SendSms" or params.get("Version") != "2017-05-25":
            return 400, {"Code": "InvalidAction", "Message": "unknown action"}
        if params.get("SignName") not in self.signs:
            return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "该账号下找不到对应签名"}
        template = self.templates.get(params.get("TemplateCode", ""))
        if template is None:
            return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "模板不合法"}
        names, text = template
        variables = json.loads(params.get("TemplateParam", "{}"))
        if sorted(variables) != sorted(names):
            return 200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模版缺少变量"}
        if any(len(str(v)) > 35 for v in variables.values()):
            return 200, {"Code": "isv.PARAM_LENGTH_LIMIT", "Message": "参数超出长度限制"}
        phones = params.get("PhoneNumbers", "").split(",")
        recent = [x.at for x in self.delivered if x.payload.get("PhoneNumbers") in phones]
        if any(now - at < 60 for at in recent):
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}
        for name, value in variables.items():
            text = text.replace("${" + name + "}", str(value))
        r.payload["rendered"] = f"【{params['SignName']}】{text}"
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": "900619746936498440",
            "RequestId": "F6",
        }
