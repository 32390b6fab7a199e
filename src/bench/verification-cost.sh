#!/usr/bin/env bash
# What shadow verification costs in serving: alternating rounds (alternate-servers.sh) of a server
# with verification at its defaults (lctserve.verification.*) and one with it off.
#
#   src/bench/verification-cost.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec src/bench/alternate-servers.sh "${1:-3}" \
  "verification on" "" "--lctserve.verification.enabled=true" \
  "verification off" "" "--lctserve.verification.enabled=false"
