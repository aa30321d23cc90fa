# Shared set-up for scripts/demo and scripts/test; source it, do not run it.
# Installs the Debian packages rdconsole's lab needs (as root, when missing), then a virtual
# environment in .venv with rdconsole and its test tools. Idempotent and quiet when done before.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${RDCONSOLE_VENV:-$ROOT/.venv}"
APT_PACKAGES=(mariadb-server mariadb-client rsync openssh-server tmux python3-venv)

missing_tools() {
    local tool
    for tool in mariadbd mariadb-install-db mariadb mariadb-dump rsync /usr/sbin/sshd tmux; do
        command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] || echo "$tool"
    done
}

if [ -n "$(missing_tools)" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bootstrap: installing ${APT_PACKAGES[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
    else
        echo "bootstrap: missing $(missing_tools | tr '\n' ' ')" >&2
        echo "bootstrap: as root run: apt-get install ${APT_PACKAGES[*]}" >&2
        exit 1
    fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi
# Reinstall only when the project's metadata changed since the last install.
STAMP="$VENV/.rdconsole-installed"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
    "$VENV/bin/python" -m pip install -q -e "$ROOT[test]"
    touch "$STAMP"
fi
