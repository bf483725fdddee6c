#!/usr/bin/env bash
# Things the test suite needs beyond requirements.txt; installed only when missing.
set -euo pipefail
exit 0
