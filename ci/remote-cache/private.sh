# Sourced by check.sh and bench/remote_cache.sh: a BuildGrid of the caller's own.
#
# use_private_buildgrid WORK PYTHON: a free port on 127.0.0.1 (found with PYTHON), state under
# WORK/buildgrid, and the REMOTE_CACHE_* variables that pants.ci.toml reads. Every machine of
# the caller shares one PANTS_BOOTSTRAP_CACHE, as CI machines must (docs/monorepo-ci.md).
use_private_buildgrid() {
  BUILDGRID_PORT="$("$2" -I -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  export BUILDGRID_PORT
  export BUILDGRID_DIR="$1/buildgrid"
  export REMOTE_CACHE_ADDRESS="grpc://127.0.0.1:${BUILDGRID_PORT}"
  export REMOTE_CACHE_INSTANCE=main
  export PANTS_BOOTSTRAP_CACHE="${PANTS_BOOTSTRAP_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/pants-lambda}"
}
