#!/bin/sh
# Make sure the e-mail tests have a real IMAP server: Debian's `dovecot-imapd` (the tests start
# their own instance on 127.0.0.1 with a temporary configuration; the system service is never
# used). Idempotent; never fails the test run (tests/apt_install.sh).
if [ -x /usr/sbin/dovecot ]; then
    exit 0
fi
APT_OPTIONS=--no-install-recommends exec sh "$(dirname "$0")/apt_install.sh" setup_mail \
    "the IMAP tests" dovecot-imapd
