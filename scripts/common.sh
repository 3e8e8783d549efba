# Sourced by the scripts for what every one of them needs (not a command of its own).

# A locale the environment names but this machine has not generated (ssh passes the client's
# LANG on; a fresh Debian has only C and C.UTF-8): PostgreSQL's cluster tools then refuse to
# run ("The locale requested by the environment is invalid") and perl warns at every apt-get.
# C.UTF-8 is always there.
if [ -n "$(locale 2>&1 >/dev/null)" ]; then
  export LC_ALL=C.UTF-8
fi
