#!/bin/sh
# Make sure the real-browser tests have headless Chromium and its driver (Debian packages
# `chromium` and `chromium-driver`). Idempotent; never fails the test run (tests/apt_install.sh).
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
exec sh "$(dirname "$0")/apt_install.sh" setup_browser "the browser tests" chromium chromium-driver
