#!/usr/bin/env bash
# Installs the real tools the tests run against, from Debian's packages (as root, or with sudo):
# Prometheus and promtool, Alertmanager and amtool, scipy, scikit-learn and the Kubernetes client
# for Debian's /usr/bin/python3, headless Chromium, kubectl, openssl. `.ci/run` runs this too;
# test/setup/require-tools.ts names this script when a tool is missing.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y prometheus prometheus-alertmanager python3-scipy python3-sklearn python3-kubernetes chromium openssl
# kubectl: Debian's kubernetes-client, unless the machine already has a kubectl.
command -v kubectl >/dev/null || $SUDO apt-get install -y kubernetes-client
