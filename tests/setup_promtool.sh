#!/bin/sh
# Make sure the Prometheus files in deploy/prometheus/ are checked by the real `promtool`
# (`promtool check config`, `check rules`, `test rules`): Debian's `prometheus` package ships it.
# Idempotent; never fails the test run (tests/apt_install.sh): without it the files are still
# parsed, and the promtool tests skip saying why.
if command -v promtool >/dev/null 2>&1; then
    exit 0
fi
APT_OPTIONS=--no-install-recommends exec sh "$(dirname "$0")/apt_install.sh" setup_promtool \
    "the promtool checks of deploy/prometheus/" prometheus
