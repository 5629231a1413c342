"""Real local servers for the delivery tests: an SMTP server (aiosmtpd) that keeps what it
receives, and an HTTP server that answers each path from a script and records every request.

Both listen on 127.0.0.1 on a free port and stop when their `with` block ends.
"""

import email
import email.policy
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_url(path: str = "/") -> str:
    """An address where nothing listens: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}{path}"


# ---------------------------------------------------------------------------------------- SMTP


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert found is not None and found.get_content_type() == content_type, content_type
        return found.get_content()


@dataclass
class SmtpServer:
    host: str
    port: int
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 No such user"
    received: list[ReceivedMail] = field(default_factory=list)
    on_receive: Callable[[ReceivedMail], None] | None = None

    def to(self, address: str) -> list[ReceivedMail]:
        return [mail for mail in self.received if address in mail.rcpt_tos]


class _Collector:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return self.server.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            message=email.message_from_bytes(envelope.content, policy=email.policy.default),
        )
        self.server.received.append(mail)
        if self.server.on_receive is not None:
            self.server.on_receive(mail)
        return "250 Message accepted"


@contextmanager
def smtp_server(*, refuse: dict[str, str] | None = None) -> Iterator[SmtpServer]:
    server = SmtpServer(host="127.0.0.1", port=free_port(), refuse=dict(refuse or {}))
    controller = Controller(_Collector(server), hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# ---------------------------------------------------------------------------------------- HTTP


@dataclass
class Request:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body)


# A scripted answer: "200", "429:Retry-After=30", "403 invalid_token" (code, optional headers
# after colons, optional body after a space), or a callable that gets the request and returns
# such a string (it may wait on an event first).
Answer = str | Callable[[Request], str]


def parse_answer(spec: str) -> tuple[int, dict[str, str], str]:
    head, _, body = spec.partition(" ")
    code, *pairs = head.split(":")
    headers = dict(pair.split("=", 1) for pair in pairs)
    return int(code), headers, body or ("ok" if code.startswith("2") else "error")


@dataclass
class HttpServer:
    host: str
    port: int
    scripts: dict[str, list[Answer]]
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def script(self, path: str, answers: list[Answer]) -> str:
        """Answer requests to `path` with these, in order; returns the path's URL."""
        self.scripts[path] = list(answers)
        return self.url(path)

    def to(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]

    def answer(self, request: Request) -> str:
        with self.lock:
            script = self.scripts.get(request.path)
            if not script:
                return "404 no_service"
            # The last answer repeats once the script is used up.
            answer = script.pop(0) if len(script) > 1 else script[0]
        return answer(request) if callable(answer) else answer


def _handler(server: HttpServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            headers = {name.lower(): value for name, value in self.headers.items()}
            request = Request(self.path, headers, self.rfile.read(length))
            server.requests.append(request)
            code, headers, body = parse_answer(server.answer(request))
            payload = body.encode()
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST  # a heartbeat ping: no body, Content-Length absent

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


@contextmanager
def http_server(scripts: dict[str, list[Answer]] | None = None) -> Iterator[HttpServer]:
    server = HttpServer(
        host="127.0.0.1", port=0, scripts={k: list(v) for k, v in (scripts or {}).items()}
    )
    httpd = ThreadingHTTPServer((server.host, 0), _handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    runner = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    runner.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        runner.join(timeout=5)


# ----------------------------------------------------------------------------------- PagerDuty


@dataclass
class PagerDutyServer:
    """A stand-in for PagerDuty's Events API v2 that keeps incidents as PagerDuty does: a
    trigger opens one per new `dedup_key` and adds to the open one otherwise, a resolve closes
    it. `fail` answers come first (scripted, as for HttpServer), then 202s."""

    http: HttpServer
    path: str = "/v2/enqueue"
    fail: list[str] = field(default_factory=list)
    incidents: dict[str, str] = field(default_factory=dict)  # dedup_key -> triggered/resolved
    opened: list[str] = field(default_factory=list)  # dedup_key of each incident opened

    @property
    def url(self) -> str:
        return self.http.url(self.path)

    def events(self, action: str | None = None) -> list[dict]:
        sent = [request.json() for request in self.http.to(self.path)]
        return [event for event in sent if action is None or event["event_action"] == action]

    def answer(self, request: Request) -> str:
        with self.http.lock:
            if self.fail:
                return self.fail.pop(0)
            event = request.json()
            if len(event.get("routing_key", "")) != 32:
                refused = {
                    "status": "invalid event",
                    "message": "Event object is invalid",
                    "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
                }
                return "400 " + json.dumps(refused)
            key = event.get("dedup_key")
            if event["event_action"] == "trigger":
                if self.incidents.get(key) != "triggered":
                    self.opened.append(key)
                self.incidents[key] = "triggered"
            elif event["event_action"] == "resolve" and key in self.incidents:
                self.incidents[key] = "resolved"
        return f'202 {{"status":"success","message":"Event processed","dedup_key":"{key}"}}'


@contextmanager
def pagerduty_server(*, fail: list[str] | None = None) -> Iterator[PagerDutyServer]:
    with http_server() as http:
        pagerduty = PagerDutyServer(http, fail=list(fail or []))
        http.script(pagerduty.path, [pagerduty.answer])
        yield pagerduty
