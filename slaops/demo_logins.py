"""The demo's logins: random passwords made on the first seed, kept in var/demo-logins.txt (0600).

The file is the only place the passwords are written in clear; `make run` prints it with the URL.
Delete it to have the next seed give the demo people new passwords.
"""

import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings

HEADER = (
    "# SLA Ops demo logins, written by `manage.py seed_demo` (shown by `manage.py demo_logins`).\n"
    "# Delete this file and seed again to give the demo people new passwords.\n"
)


def logins_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-logins.txt"


def new_password() -> str:
    return secrets.token_urlsafe(18)


def read_logins(path: Path | None = None) -> dict[str, str]:
    """username -> password, as last written; empty when there is no file."""
    path = path or logins_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    logins = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            username, _, password = line.partition("\t")
            if password:
                logins[username] = password
    return logins


def write_logins(logins: dict[str, str], path: Path | None = None) -> None:
    """Replace the file in one step, readable by its owner only from the moment it exists."""
    path = path or logins_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=".demo-logins-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(HEADER)
            out.writelines(f"{username}\t{password}\n" for username, password in logins.items())
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
