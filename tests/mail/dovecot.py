"""A real IMAP server for the tests: Debian's Dovecot, started on 127.0.0.1 with its own temporary
configuration, users and maildirs (the system's Dovecot configuration and service are never
touched). `tests/setup_mail.sh` installs it when missing; without it the tests skip and say why.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from imap_tools import MailBoxUnencrypted

DOVECOT = "/usr/sbin/dovecot"


class DovecotUnavailable(Exception):
    pass


@dataclass
class Dovecot:
    host: str
    port: int
    users: dict[str, str]

    def deliver(self, user: str, *raws: bytes, folder: str = "INBOX") -> None:
        """Put messages in a user's folder the way a mail client would: IMAP APPEND."""
        with MailBoxUnencrypted(self.host, self.port).login(user, self.users[user], folder) as box:
            for raw in raws:
                box.append(raw, folder, flag_set=[])

    def unread(self, user: str, folder: str = "INBOX") -> int:
        with MailBoxUnencrypted(self.host, self.port).login(user, self.users[user], folder) as box:
            return len(box.uids("UNSEEN"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config(root: Path, port: int, owner: pwd.struct_passwd, users: dict[str, str]) -> Path:
    (root / "users").write_text(
        "".join(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in users.items())
    )
    (root / "mail").mkdir()
    as_root = os.getuid() == 0
    internal = "dovecot" if as_root else owner.pw_name
    login = "dovenull" if as_root else owner.pw_name
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {internal if not as_root else "dovecot"}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/mail/%u
}}
"""
    )
    if as_root:
        shutil.chown(root / "mail", owner.pw_uid, owner.pw_gid)
        os.chmod(root / "users", 0o644)
    return config


@contextmanager
def dovecot(tmp_path: Path, users: dict[str, str]) -> Iterator[Dovecot]:
    if not os.path.exists(DOVECOT):
        raise DovecotUnavailable(f"{DOVECOT} is not installed (tests/setup_mail.sh installs it)")
    # Its own directory straight under /tmp: Dovecot's unprivileged processes must be able to
    # walk to their files, which pytest's private tmp_path does not allow.
    root = Path(tempfile.mkdtemp(prefix="slaops-dovecot-", dir=tmp_path if os.getuid() else None))
    os.chmod(root, 0o755)
    port = _free_port()
    # As root, the mail belongs to an unprivileged user (Dovecot refuses to serve mail as root).
    owner = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
    config = _config(root, port, owner, users)
    # Dovecot goes to the background itself; its output goes to a file, not a pipe it would
    # keep open.
    with open(root / "start.log", "w") as log:
        started = subprocess.run(
            [DOVECOT, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT, timeout=20
        )
    if started.returncode != 0:
        said = (root / "start.log").read_text().strip()[:300]
        raise DovecotUnavailable(f"dovecot did not start: {said}")
    try:
        server = Dovecot("127.0.0.1", port, dict(users))
        deadline = time.monotonic() + 10
        user = next(iter(users))
        while True:  # listening is not enough: authentication must be ready too
            try:
                server.unread(user)
                break
            except Exception as error:
                if time.monotonic() > deadline:
                    log = root / "dovecot.log"
                    said = log.read_text()[-300:] if log.exists() else str(error)
                    raise DovecotUnavailable(f"dovecot does not answer: {said}") from None
                time.sleep(0.1)
        yield server
    finally:
        subprocess.run(
            [DOVECOT, "-c", str(config), "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=20,
        )
        shutil.rmtree(root, ignore_errors=True)
