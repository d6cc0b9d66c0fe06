# Shared by every setup script (source it after `set -euo pipefail`): a failure names the script
# and the line that failed, and `ms` gives milliseconds for the stage timings.
fail() { echo "$(basename "$0"): FAILED: $*" >&2; exit 1; }
trap 'fail "command failed at line $LINENO (see output above)"' ERR
ms() { echo $(( $(date +%s%N) / 1000000 )); }
