# Shared by scripts/run and scripts/test: check for the Debian packages a step needs and install
# the missing ones when we can (root, or sudo without a password), else say what to run.

# Packages the console needs at run time (X11/Wayland and OpenGL through Mesa) and the tests need
# (a session keyring for the OS keyring, a virtual display, Mesa's software renderer for
# egui_kittest snapshots, the tools that talk to the service from outside, and PostgreSQL 15,
# which the service's PostgreSQL tests start privately from its binaries: no container).
# Building needs libdbus (the keyring crate's Secret Service store) through pkg-config.
# The tests also need a private session bus with GNOME Keyring for the Secret Service test, and a
# real X server's tools for scripts/smoke-desktop (xdotool, xprop in x11-utils, xclip, ImageMagick).
BUILD_PACKAGES="pkg-config libdbus-1-dev"
RUN_PACKAGES="$BUILD_PACKAGES libgl1 libegl1 libgl1-mesa-dri libxkbcommon-x11-0 libxcursor1 libxrandr2 libxi6 libx11-xcb1 libwayland-client0 libwayland-egl1"
TEST_PACKAGES="$RUN_PACKAGES keyutils xvfb xauth curl mesa-vulkan-drivers postgresql dbus gnome-keyring xdotool x11-utils xclip imagemagick"

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

missing_packages() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    printf '%s\n' "${missing[@]}"
}

ensure_packages() {
    command -v dpkg-query >/dev/null || { say "not a Debian system: make sure these are installed: $*"; return 0; }
    local missing
    missing=$(missing_packages "$@" | xargs)
    [ -z "$missing" ] && return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            say "missing system packages: $missing"
            say "install them with: sudo apt-get install -y $missing"
            exit 1
        fi
    fi
    say "installing system packages: $missing"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

ensure_node() {
    command -v npm >/dev/null && return 0
    ensure_packages nodejs npm
}
