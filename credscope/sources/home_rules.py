"""What the home-directory walk leaves out, by rule: caches, browser profiles, package stores, virtualenvs,
toolchains and other large trees, by name, by path or by a marker file inside; and what it reads at all
(dotfiles, and the platforms' configuration directories).
"""

from __future__ import annotations

CACHE, BROWSER, PACKAGES, VIRTUALENV, LARGE = "cache", "browser profile", "package store", "virtualenv", "large tree"

# Directory names skipped wherever they appear.
SKIPPED_NAMES: dict[str, str] = {
    **dict.fromkeys(
        (
            ".cache",
            "cache",
            "Cache",
            "Caches",
            "caches",
            "CachedData",
            "CachedExtensionVSIXs",
            "Code Cache",
            "GPUCache",
            "ShaderCache",
            "GrShaderCache",
            "DawnCache",
            "DawnGraphiteCache",
            "DawnWebGPUCache",
            "Service Worker",
            "CacheStorage",
            "blob_storage",
            "Crashpad",
            "_cacache",
            "__pycache__",
            ".mypy_cache",
            ".ruff_cache",
            ".pytest_cache",
            ".Trash",
            "Trash",
            ".thumbnails",
        ),
        CACHE,
    ),
    **dict.fromkeys(
        ("node_modules", "bower_components", "site-packages", "dist-packages", ".terraform", ".npm", ".pnpm-store"),
        PACKAGES,
    ),
    **dict.fromkeys((".venv", "venv", ".virtualenvs", "virtualenvs", ".tox", ".nox"), VIRTUALENV),
    **dict.fromkeys(("IndexedDB", "Local Storage", "Session Storage", "WebStorage", "Partitions"), BROWSER),
}
# Paths (relative to the home directory) skipped as a whole.
SKIPPED_PATHS: dict[str, str] = {
    **dict.fromkeys(
        (
            ".mozilla",
            ".librewolf",
            ".waterfox",
            ".config/google-chrome",
            ".config/google-chrome-beta",
            ".config/google-chrome-unstable",
            ".config/chromium",
            ".config/BraveSoftware",
            ".config/microsoft-edge",
            ".config/microsoft-edge-beta",
            ".config/vivaldi",
            ".config/opera",
            ".var/app/org.mozilla.firefox",
            ".var/app/com.google.Chrome",
            "Library/Application Support/Google/Chrome",
            "Library/Application Support/Firefox",
            "Library/Application Support/BraveSoftware",
            "Library/Application Support/Microsoft Edge",
            "Library/Application Support/Arc",
            "Library/Application Support/Vivaldi",
            "Library/Application Support/Chromium",
            "AppData/Roaming/Mozilla",
            "AppData/Roaming/Opera Software",
        ),
        BROWSER,
    ),
    **dict.fromkeys(
        (
            ".yarn",
            ".bun",
            ".deno",
            ".m2/repository",
            ".ivy2",
            ".coursier",
            ".sbt/boot",
            ".gradle/caches",
            ".gradle/wrapper",
            ".gradle/daemon",
            ".gradle/native",
            ".gradle/jdks",
            ".cargo/registry",
            ".cargo/git",
            ".nuget/packages",
            ".gem/specs",
            ".gem/ruby",
            ".cpan",
            ".cpanm",
            ".pub-cache",
            ".local/lib",
            ".local/share/pnpm",
            ".local/share/virtualenvs",
            ".local/pipx",
            ".local/share/pipx",
            ".conda",
            ".terraform.d/plugins",
            ".terraform.d/plugin-cache",
            ".vagrant.d/boxes",
            ".vscode/extensions",
            ".vscode-server",
            ".vscode-oss/extensions",
            ".cursor/extensions",
            ".cursor-server",
            ".windsurf/extensions",
        ),
        PACKAGES,
    ),
    **dict.fromkeys(
        (
            ".rustup",
            ".nvm",
            ".pyenv",
            ".rbenv",
            ".rvm",
            ".asdf",
            ".volta",
            ".sdkman",
            ".dotnet",
            ".local/share/mise",
            ".local/share/containers",
            ".local/share/docker",
            ".local/share/flatpak",
            ".local/share/Steam",
            ".local/share/Trash",
            ".steam",
            ".wine",
            ".android",
            ".minikube/cache",
            ".minikube/machines",
            ".ollama",
        ),
        LARGE,
    ),
}
# A directory holding one of these is skipped whole: the cache-directory tag (bford.info/cachedir), a
# virtualenv, a conda environment, a Firefox profile, a Chromium user-data directory.
MARKERS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"CACHEDIR.TAG"}), CACHE),
    (frozenset({"pyvenv.cfg"}), VIRTUALENV),
    (frozenset({"conda-meta"}), PACKAGES),
    (frozenset({"cookies.sqlite"}), BROWSER),
    (frozenset({"profiles.ini", "installs.ini"}), BROWSER),
    (frozenset({"Local State", "Default"}), BROWSER),
)
# Directories that are not dotfiles but hold configuration: walked; any other top-level directory is not.
CONFIG_ROOTS = ("Library/Application Support", "Library/Preferences", "AppData/Roaming")
# Never text: skipped by name, without being opened.
BINARY_SUFFIXES = frozenset(
    (  # noqa: SIM905 - a list of words reads best as words
        ".png .jpg .jpeg .gif .ico .icns .webp .bmp .tiff .svgz .woff .woff2 .ttf .otf .eot .so .dylib .dll .exe "
        ".bin .o .a .zip .gz .tgz .bz2 .xz .zst .7z .rar .jar .war .whl .pyc .pyo .class .db .sqlite .sqlite3 "
        ".ldb .pack .idx .mp3 .mp4 .m4a .wav .ogg .mov .avi .mkv .pdf .dmg .iso .img .qcow2 .vdi .vmdk"
    ).split()
)
