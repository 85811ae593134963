# Shared by the shell end-to-end tests (sourced after T, the test's scratch
# directory, is set): failing with a message, naming steps, and checking
# that a command fails the way r1serve's commands must (a non-zero exit and
# exactly one "error: ..." line on stderr).
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

# expect_error COMMAND...
expect_error() {
  local rc=0
  "$@" >/dev/null 2>"$T/e" || rc=$?
  [ "$rc" -ne 0 ] || fail "expected failure: $*"
  [ "$(wc -l <"$T/e")" -eq 1 ] || fail "expected one stderr line for: $* -> $(cat "$T/e")"
  grep -q '^error: ' "$T/e" || fail "no 'error:' line for: $*"
}
