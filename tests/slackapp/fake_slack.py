"""A fake Slack Web API: a real HTTP server on 127.0.0.1 that WebClient(base_url=…) talks to.
It records every call (chat.postMessage, chat.update, users.info, …) with its arguments, answers
users.info from a small directory, conversations.history and conversations.replies from the
messages written into its channels (`say`) and the replies posted to it, paged as Slack pages
them (newest first, `cursor`), and can be told to answer a method with a 429 or an error, or
("lost") to post a message and answer 500, as when the answer never reaches us. Like Slack, it
refuses a post whose blocks break Block Kit's limits (invalid_blocks, msg_blocks_too_long).
oauth.v2.access exchanges the codes it was given (`grant`) for a workspace's bot token, checking
the app's client id and secret (HTTP Basic, as Slack does), and with token rotation refreshes a
token once per refresh token (single use, as Slack's).
Anything posted outside /api/ is a response_url's answer, kept in `responses`."""

import base64
import itertools
import json
import threading
import time
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
    # channel id -> the messages in it (said, and posted by the bot), as the history gives them
    channels: dict[str, list[dict]] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)  # method -> seconds to wait first
    client_id: str = "1234.5678"
    client_secret: str = "client-secret-1f2e3d4c5b6a"
    codes: dict[str, dict] = field(default_factory=dict)  # code -> its oauth.v2.access answer
    refresh_tokens: set[str] = field(default_factory=set)  # the ones still good (single use)
    refreshed: int = 0
    org_teams: list[str] = field(default_factory=list)  # auth.teams.list: an org's workspaces
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    def grant(self, code: str, team: str, name: str = "", *, rotate=False, enterprise=None):
        """Slack's answer to the install that brings `code` back: a bot token of `team`."""
        n = next(self._serial)
        answer = {
            "ok": True,
            "app_id": "A0SLAOPS",
            "access_token": f"xoxb-{team}-{n}",
            "token_type": "bot",
            "scope": "chat:write,commands",
            "bot_user_id": f"UBOT{n}",
            "team": None if enterprise and not team else {"id": team, "name": name or team},
            "enterprise": {"id": enterprise, "name": "Grid"} if enterprise else None,
            "is_enterprise_install": bool(enterprise and not team),
            "authed_user": {"id": "UINSTALLER"},
        }
        if rotate:
            answer |= self._rotated(f"xoxe.xoxb-{team}-{n}")
        self.codes[code] = answer
        return answer

    def _rotated(self, token: str) -> dict:
        refresh = f"xoxe-1-refresh-{next(self._serial)}"
        self.refresh_tokens.add(refresh)
        return {"access_token": token, "refresh_token": refresh, "expires_in": 43200}

    def _oauth(self, args: dict, basic: str) -> dict:
        client = f"{self.client_id}:{self.client_secret}".encode()
        if basic != base64.b64encode(client).decode():
            return {"ok": False, "error": "invalid_client_id"}
        if args.get("grant_type") == "refresh_token":
            if args.get("refresh_token") not in self.refresh_tokens:
                return {"ok": False, "error": "invalid_refresh_token"}
            self.refresh_tokens.discard(args["refresh_token"])
            self.refreshed += 1
            token = f"xoxe.xoxb-refreshed-{self.refreshed}"
            return {"ok": True, "token_type": "bot", "team": {"id": self.team}} | self._rotated(
                token
            )
        answer = self.codes.pop(args.get("code", ""), None)
        return answer or {"ok": False, "error": "invalid_code"}

    # What was posted to a response_url (any path outside /api/): (path, the JSON message).
    responses: list[tuple[str, dict]] = field(default_factory=list)
    shared: set[str] = field(default_factory=set)  # channels conversations.info calls shared
    socket_url: str = ""  # what apps.connections.open hands out (Socket Mode)

    def say(self, channel: str, message: dict) -> dict:
        """A message written in a channel (a dict as in an event, without the event's channel)."""
        body = {k: v for k, v in message.items() if k not in ("channel", "event_ts")}
        body.setdefault("type", "message")
        self.channels.setdefault(channel, []).append(body)
        return body

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url of this fake, as Slack gives one with a click or a command."""
        return f"http://127.0.0.1:{self.port}/actions/{name}"

    def to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def fail(self, method: str, *answers: str) -> None:
        self.failures.setdefault(method, []).extend(answers)

    def answer(self, method: str, args: dict, auth: str = "") -> tuple[int, dict, dict]:
        if method == "oauth.v2.access":
            with self.lock:
                return 200, {}, self._oauth(args, auth.removeprefix("Basic "))
        with self.lock:
            queued = self.failures.get(method) or []
            failure = queued.pop(0) if queued else None
            if failure is None and method in ("chat.postMessage", "chat.update"):
                failure = blocks_refused(args.get("blocks"))
            if failure in (None, "lost") and method == "chat.postMessage":
                self.posted += 1
                ts = f"1900000000.{self.posted:06d}"
                posted = {"type": "message", "ts": ts, "text": args.get("text", "")}
                for shown in ("blocks", "username", "icon_url"):
                    if args.get(shown):
                        posted[shown] = args[shown]
                posted["bot_id"] = "B0BOT"
                if args.get("thread_ts"):
                    posted["thread_ts"] = args["thread_ts"]
                if args.get("metadata"):
                    posted["metadata"] = args["metadata"]
                self.channels.setdefault(args.get("channel", ""), []).append(posted)
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
            if person.get("enterprise"):
                user["enterprise_user"] = {"enterprise_id": person["enterprise"]}
            return 200, {}, {"ok": True, "user": user | {"profile": profile}}
        if method == "chat.postMessage":
            return 200, {}, {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "auth.teams.list":
            teams = [{"id": team, "name": team} for team in self.org_teams]
            return 200, {}, {"ok": True, "teams": teams}
        if method == "conversations.history":
            return 200, {}, self._page(args, self._top_level(args.get("channel", "")))
        if method == "conversations.replies":
            in_channel = self.channels.get(args.get("channel", ""), [])
            parent = [m for m in in_channel if m["ts"] == args.get("ts")]
            replies = [
                m for m in in_channel if m.get("thread_ts") == args["ts"] and m["ts"] != args["ts"]
            ]
            if not parent and not replies:
                return 200, {}, {"ok": False, "error": "thread_not_found"}
            replies = [m for m in replies if float(m["ts"]) > float(args.get("oldest") or 0)]
            answer = self._page(args, sorted(replies, key=lambda m: float(m["ts"])))
            answer["messages"] = parent + answer["messages"]
            return 200, {}, answer
        if method == "apps.connections.open":
            return 200, {}, {"ok": True, "url": self.socket_url}
        if method == "conversations.info":
            channel = args.get("channel", "")
            if channel.startswith("CGONE"):
                return 200, {}, {"ok": False, "error": "channel_not_found"}
            found = {"id": channel, "is_ext_shared": channel in self.shared}
            return 200, {}, {"ok": True, "channel": found}
        if method == "chat.update":
            return 200, {}, {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        return 200, {}, {"ok": True}

    def _top_level(self, channel: str) -> list[dict]:
        messages = [
            m
            for m in self.channels.get(channel, [])
            if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
        ]
        return sorted(messages, key=lambda m: float(m["ts"]), reverse=True)

    @staticmethod
    def _page(args: dict, messages: list[dict]) -> dict:
        oldest = float(args.get("oldest") or 0)
        messages = [m for m in messages if float(m["ts"]) > oldest]
        start = int(args.get("cursor") or 0)
        size = int(args.get("limit") or 100)
        page = messages[start : start + size]
        more = start + size < len(messages)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + size) if more else ""},
        }


SECTION_LIMIT = 3000  # characters in a section's text (UTF-16 units, as Slack counts)
BLOCKS_TOTAL = 12_000  # text across a message's blocks (Slack's undocumented limit, about)


def blocks_refused(blocks) -> str | None:
    """Slack's error for blocks it would refuse, or None."""
    if not blocks:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    texts = [block["text"].get("text", "") for block in blocks if "text" in block]
    sizes = [len(text.encode("utf-16-le")) // 2 for text in texts]
    if len(blocks) > 50 or any(size > SECTION_LIMIT for size in sizes):
        return "invalid_blocks"
    if not all(text.strip() for text in texts):
        return "invalid_blocks"
    if sum(sizes) > BLOCKS_TOTAL:
        return "msg_blocks_too_long"
    return None


def _handler(fake: FakeSlack):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self):
            parts = urlsplit(self.path)
            method = parts.path.removeprefix("/api/")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if not parts.path.startswith("/api/"):  # a response_url
                fake.responses.append((parts.path, json.loads(raw or "{}")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                return
            if "json" in (self.headers.get("Content-Type") or ""):
                args = json.loads(raw or "{}")
            else:
                args = dict(parse_qsl(raw)) | dict(parse_qsl(parts.query))
            auth = self.headers.get("Authorization") or ""
            token = auth.removeprefix("Bearer ")
            fake.calls.append(Call(method, args, token))
            if fake.delay.get(method):
                time.sleep(fake.delay[method])
            code, headers, body = fake.answer(method, args, auth)
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
