#!/bin/sh
# apt_install.sh NAME WHAT PACKAGE...: install Debian packages a test pass needs (APT_OPTIONS adds
# apt-get options). Never fails the test run: without apt, or without root, the tests that need
# them skip and say why. NAME prefixes the messages; WHAT names the tests that would skip.
name=$1
what=$2
shift 2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$name: apt-get not available; $what will be skipped" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "$name: not root and no sudo; $what will be skipped" >&2
        exit 0
    fi
fi
echo "$name: installing $*" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # APT_OPTIONS is a list of options
$SUDO apt-get install -y -q $APT_OPTIONS "$@" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null 2>&1 \
         && $SUDO apt-get install -y -q $APT_OPTIONS "$@" >/dev/null 2>&1; } \
    || echo "$name: could not install $*; $what will be skipped" >&2
exit 0
