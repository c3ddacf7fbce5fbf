# shellcheck shell=bash
# Sourced: loads every e2e library, so a test needs one line:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/all.sh"
# and then calls install_ensure, daemon_start, images_ensure, daemon_stop,
# netns_stop.
_e2e_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/env.sh
source "$_e2e_lib/env.sh"
# shellcheck source=tests/e2e/lib/log.sh
source "$_e2e_lib/log.sh"
# shellcheck source=tests/e2e/lib/netns.sh
source "$_e2e_lib/netns.sh"
# shellcheck source=tests/e2e/lib/rootfs.sh
source "$_e2e_lib/rootfs.sh"
# shellcheck source=tests/e2e/lib/install.sh
source "$_e2e_lib/install.sh"
# shellcheck source=tests/e2e/lib/daemon.sh
source "$_e2e_lib/daemon.sh"
# shellcheck source=tests/e2e/lib/images.sh
source "$_e2e_lib/images.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$_e2e_lib/servers.sh"
unset _e2e_lib
