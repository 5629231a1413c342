#!/bin/sh
# Make sure the real-browser tests have headless Chromium and its driver (Debian packages
# `chromium` and `chromium-driver`). Idempotent, and never fails the test run: without apt (or
# without root) the browser tests skip and say why.
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup_browser: apt-get not available; the browser tests will be skipped" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "setup_browser: not root and no sudo; the browser tests will be skipped" >&2
        exit 0
    fi
fi
echo "setup_browser: installing chromium and chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 \
         && $SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } \
    || echo "setup_browser: could not install chromium; the browser tests will be skipped" >&2
exit 0
