# Shared helpers for the project's scripts. Source it; do not run it.

# apt_need PKG... installs the Debian packages that are missing (as root, or through sudo when available).
apt_need() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "error: need root to install: ${missing[*]}" >&2; return 1; }
        sudo="sudo"
    fi
    echo "installing: ${missing[*]}" >&2
    if ! apt_get "$sudo" install -y -q "${missing[@]}"; then
        apt_get "$sudo" update -q
        apt_get "$sudo" install -y -q "${missing[@]}"
    fi
}

# apt_get SUDO ARGS... runs apt-get quietly, waiting up to 10 minutes for another apt-get or dpkg (an unattended
# upgrade on a fresh machine) to release its lock: dpkg's lock through DPkg::Lock::Timeout, the package lists' lock
# (taken by `apt-get update`, which that option does not cover) by trying again every 2 s.
apt_get() {
    local sudo="$1" deadline=$((SECONDS + 600)) errors
    shift
    while true; do
        if errors=$($sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1 >/dev/null)
        then
            return 0
        fi
        if grep -q "Could not get lock" <<<"$errors" && [ "$SECONDS" -lt "$deadline" ]; then
            sleep 2
            continue
        fi
        printf '%s\n' "$errors" >&2
        return 1
    done
}
