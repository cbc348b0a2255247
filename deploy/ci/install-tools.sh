#!/usr/bin/env bash
# Installs every tool that the static checks of deploy/ need (tests/integration/test_deploy_static.py) on a fresh
# Debian machine. Idempotent: what is already there is left alone. Run from anywhere, as root (or with sudo):
#   bash deploy/ci/install-tools.sh
#
#   promtool, amtool   Debian packages prometheus, prometheus-alertmanager (daemons are not started)
#   kustomize          `kubectl kustomize` when kubectl is installed, else kustomize built from its Go module
#   kubernetes-validate, hadolint, jsonschema   pip extra "deploy-checks" into .venv
#   compose-spec.json  the Compose specification's JSON Schema, from the Go module compose-spec/compose-go
set -euo pipefail
cd "$(dirname "$0")/../.."

COMPOSE_GO_VERSION=v2.16.2
KUSTOMIZE_VERSION=v5.5.0
TOOLS=.tools
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo

apt_missing=()
command -v promtool >/dev/null || apt_missing+=(prometheus)
command -v amtool >/dev/null || apt_missing+=(prometheus-alertmanager)
if ((${#apt_missing[@]})); then
  echo "install-tools: apt packages ${apt_missing[*]}"
  # The packages' services must not start: tell invoke-rc.d "no" while they install.
  policy=/usr/sbin/policy-rc.d
  created_policy=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    created_policy=1
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
  [[ -z $created_policy ]] || $SUDO rm -f "$policy"
  # Where systemd runs, keep the daemons off: promtool and amtool are all the checks need.
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    $SUDO systemctl disable --now prometheus prometheus-alertmanager >/dev/null 2>&1 || true
  fi
fi

if [[ ! -x .venv/bin/python ]]; then
  py=python3.11
  command -v "$py" >/dev/null || py=python3
  "$py" -m venv .venv
fi
if ! .venv/bin/python -c "import kubernetes_validate, jsonschema" 2>/dev/null || [[ ! -x .venv/bin/hadolint ]]; then
  echo "install-tools: pip extra deploy-checks into .venv"
  .venv/bin/pip install -q -e '.[dev,deploy-checks]'
fi

mkdir -p "$TOOLS"
if ! command -v kubectl >/dev/null && [[ ! -x $TOOLS/bin/kustomize ]]; then
  echo "install-tools: kustomize $KUSTOMIZE_VERSION from its Go module"
  command -v go >/dev/null || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go; }
  GOBIN="$PWD/$TOOLS/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi

schema=$TOOLS/compose-spec/compose-spec.json
if [[ ! -s $schema ]]; then
  echo "install-tools: Compose JSON Schema from compose-go $COMPOSE_GO_VERSION"
  command -v go >/dev/null || { $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go; }
  python="$PWD/.venv/bin/python"
  dir=$(cd "$(mktemp -d)" && go mod download -json "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" |
    "$python" -c "import json, sys; print(json.load(sys.stdin)['Dir'])")
  mkdir -p "$(dirname "$schema")"
  cp "$dir/schema/compose-spec.json" "$schema"
  cp "$dir/LICENSE" "$TOOLS/compose-spec/LICENSE"
  echo "compose-go $COMPOSE_GO_VERSION" >"$TOOLS/compose-spec/VERSION"
fi

echo "install-tools: promtool $(promtool --version 2>&1 | head -1 | awk '{print $3}'), amtool, kustomize, hadolint, kubernetes-validate, compose schema ready"
