#!/bin/sh
# Make sure the e-mail tests have a real IMAP server: Debian's `dovecot-imapd` (the tests start
# their own instance on 127.0.0.1 with a temporary configuration; the system service is never
# used). Idempotent, and never fails the test run: without apt (or without root) the IMAP tests
# skip and say why.
if [ -x /usr/sbin/dovecot ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_mail: apt-get not available; the IMAP tests will be skipped" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "setup_mail: not root and no sudo; the IMAP tests will be skipped" >&2
        exit 0
    fi
fi
echo "setup_mail: installing dovecot-imapd" >&2
export DEBIAN_FRONTEND=noninteractive
# The package's own service is not wanted: the tests run their own server.
$SUDO apt-get install -y -q --no-install-recommends dovecot-imapd >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 \
         && $SUDO apt-get install -y -q --no-install-recommends dovecot-imapd >/dev/null 2>&1; } \
    || echo "setup_mail: could not install dovecot-imapd; the IMAP tests will be skipped" >&2
exit 0
