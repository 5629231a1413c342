"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that WebClient(base_url=…) talks to.
It records every call (chat.postMessage, chat.update, users.info, …) with its arguments, answers
users.info from a small directory, and can be told to answer a method with a 429 or an error, or
("lost") to post a message and answer 500, as when the answer never reaches us."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Call:
    method: str  # "chat.postMessage"
    args: dict
    token: str


@dataclass
class FakeSlack:
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    # user id -> {"name", "email", "team"}; "team" (their workspace) defaults to `team`.
    users: dict[str, dict] = field(default_factory=dict)
    team: str = "T0ACME"  # the workspace the bot token belongs to
    # method -> answers to give first, in order: "429:30" (Retry-After 30) or an error code.
    failures: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    posted: int = 0
    # Replies posted (chat.postMessage with a thread_ts), as conversations.replies reads them.
    replies: list[dict] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def fail(self, method: str, *answers: str) -> None:
        self.failures.setdefault(method, []).extend(answers)

    def answer(self, method: str, args: dict) -> tuple[int, dict, dict]:
        with self.lock:
            queued = self.failures.get(method) or []
            failure = queued.pop(0) if queued else None
            if failure in (None, "lost") and method == "chat.postMessage":
                self.posted += 1
                ts = f"1900000000.{self.posted:06d}"
                posted = {"ts": ts, "text": args.get("text", "")}
                if args.get("metadata"):
                    posted["metadata"] = args["metadata"]
                self.replies.append(posted | {"_in": (args.get("channel"), args.get("thread_ts"))})
        if failure == "lost":
            return 500, {}, {"ok": False, "error": "fatal_error"}
        if failure and failure.startswith("429"):
            wait = failure.partition(":")[2] or "1"
            return 429, {"Retry-After": wait}, {"ok": False, "error": "ratelimited"}
        if failure:
            return 200, {}, {"ok": False, "error": failure}
        if method == "auth.test":
            return (
                200,
                {},
                {
                    "ok": True,
                    "user_id": "UBOT",
                    "team": "Acme Support",
                    "team_id": self.team,
                },
            )
        if method == "users.info":
            person = self.users.get(args.get("user", ""))
            if person is None:
                return 200, {}, {"ok": False, "error": "user_not_found"}
            profile = {"real_name": person["name"], "email": person.get("email", "")}
            user = {"id": args["user"], "team_id": person.get("team", self.team)}
            return 200, {}, {"ok": True, "user": user | {"profile": profile}}
        if method == "chat.postMessage":
            return 200, {}, {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "conversations.replies":
            where = (args.get("channel"), args.get("ts"))
            found = [
                {k: v for k, v in m.items() if k != "_in"}
                for m in self.replies
                if m["_in"] == where and float(m["ts"]) > float(args.get("oldest") or 0)
            ]
            return 200, {}, {"ok": True, "messages": found, "has_more": False}
        if method == "chat.update":
            return 200, {}, {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        return 200, {}, {"ok": True}


def _handler(fake: FakeSlack):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            parts = urlsplit(self.path)
            method = parts.path.removeprefix("/api/")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if "json" in (self.headers.get("Content-Type") or ""):
                args = json.loads(raw or "{}")
            else:
                args = dict(parse_qsl(raw)) | dict(parse_qsl(parts.query))
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            fake.calls.append(Call(method, args, token))
            code, headers, body = fake.answer(method, args)
            payload = json.dumps(body).encode()
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, format, *args):
            pass

    return Handler


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    httpd.daemon_threads = True
    fake.port = httpd.server_address[1]
    runner = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    runner.start()
    try:
        yield fake
    finally:
        httpd.shutdown()
        httpd.server_close()
        runner.join(timeout=5)
