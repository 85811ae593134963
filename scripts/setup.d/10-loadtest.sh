# The brief's load test client: `ab` (apache2-utils), a client we did not write.
if ! command -v ab >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq apache2-utils
fi
