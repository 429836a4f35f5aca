#!/bin/sh
# The README's first command: run rebound's main job on a built-in default.
# (Until the daemon lands: parse the bundled sample mails.)
set -e
cd "$(dirname "$0")/.."
./build/rebound parse tests/fixtures
