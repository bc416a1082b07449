"""Where each credential store of a home directory (and each agent config a repository carries) lives, and
which parser reads it: the table the home source and the tree's agent-config pass go by.

Parsers are named here and imported when first called: a tree scan that meets no store never loads them.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from credscope.sources.stores import Entry, Parser


class _Deferred:
    """A store parser imported when first called: a tree scan that meets no credential store never loads them."""

    __slots__ = ("_module", "_name", "_parser")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name = module, name
        self._parser: Callable[..., list[Entry]] | None = None

    def __call__(self, text: str, **options: Any) -> list[Entry]:
        if self._parser is None:
            module = importlib.import_module(f"credscope.sources.stores.{self._module}")
            self._parser = getattr(module, self._name)
        return self._parser(text, **options)

    def __repr__(self) -> str:
        return f"credscope.sources.stores.{self._module}.{self._name}"


aws_config = _Deferred("config_files", "aws_config")
aws_credentials = _Deferred("config_files", "aws_credentials")
docker_config = _Deferred("config_files", "docker_config")
gcloud_adc = _Deferred("config_files", "gcloud_adc")
gh_hosts = _Deferred("config_files", "gh_hosts")
kubeconfig = _Deferred("config_files", "kubeconfig")
netrc = _Deferred("config_files", "netrc")
npmrc = _Deferred("config_files", "npmrc")
pgpass = _Deferred("config_files", "pgpass")
pypirc = _Deferred("config_files", "pypirc")
whole_file = _Deferred("config_files", "whole_file")
codex_toml = _Deferred("agents", "codex_toml")
continue_yaml = _Deferred("agents", "continue_yaml")
mcp_json = _Deferred("agents", "mcp_json")
railway_config = _Deferred("clouds", "railway_config")
doctl_config = _Deferred("clouds", "doctl_config")
fly_config = _Deferred("clouds", "fly_config")
vercel_auth = _Deferred("clouds", "vercel_auth")
netlify_config = _Deferred("clouds", "netlify_config")
supabase_token = _Deferred("clouds", "supabase_token")
neonctl_credentials = _Deferred("clouds", "neonctl_credentials")
terraform_credentials = _Deferred("clouds", "terraform_credentials")
terraformrc = _Deferred("clouds", "terraformrc")
pulumi_credentials = _Deferred("clouds", "pulumi_credentials")
wrangler_config = _Deferred("clouds", "wrangler_config")
firebase_tools = _Deferred("clouds", "firebase_tools")
stripe_config = _Deferred("clouds", "stripe_config")
stripe_credentials = _Deferred("clouds", "stripe_credentials")
vault_token = _Deferred("clouds", "vault_token")
cargo_credentials = _Deferred("registries", "cargo_credentials")
gem_credentials = _Deferred("registries", "gem_credentials")
maven_settings = _Deferred("registries", "maven_settings")
gradle_properties = _Deferred("registries", "gradle_properties")
nuget_config = _Deferred("registries", "nuget_config")
composer_auth = _Deferred("registries", "composer_auth")
gcloud_rows = _Deferred("caches", "gcloud_rows")
gcloud_boto = _Deferred("caches", "gcloud_boto")
azure_msal_cache = _Deferred("caches", "azure_msal_cache")
azure_service_principals = _Deferred("caches", "azure_service_principals")
azure_legacy_tokens = _Deferred("caches", "azure_legacy_tokens")
aws_sso_cache = _Deferred("caches", "aws_sso_cache")
aws_cli_cache = _Deferred("caches", "aws_cli_cache")

MAX_STORE_SIZE = 5 * 1024 * 1024  # history files grow; beyond this a file is not a credential store
# Where CLIs that follow the platform's convention keep their configuration (Linux, macOS, Windows).
_CONFIG_DIRS = (".config", "Library/Application Support", "AppData/Roaming")


@dataclass(frozen=True)
class Store:
    """Where a store lives (a glob relative to its base directory), its id, and how to parse it; a binary
    store (gcloud's SQLite databases) names the function that renders its bytes as text."""

    pattern: str
    store: str
    parser: Parser
    binary: str | None = None  # "module.function" in credscope.sources.stores: (bytes, path) -> text


HOME_STORES: tuple[Store, ...] = (
    Store(".aws/config", "aws-config", aws_config),
    Store(".aws/credentials", "aws-credentials", functools.partial(aws_credentials, config={})),
    Store(".railway/config*.json", "railway-config", railway_config),
    Store(".pgpass", "pgpass", pgpass),
    Store(".netrc", "netrc", netrc),
    Store("_netrc", "netrc", netrc),
    Store(".docker/config.json", "docker-config", docker_config),
    Store(".kube/config", "kubeconfig", kubeconfig),
    Store(".npmrc", "npmrc", npmrc),
    Store(".pypirc", "pypirc", pypirc),
    Store(".config/gh/hosts.yml", "gh-hosts", gh_hosts),
    Store(".config/gcloud/application_default_credentials.json", "gcloud-adc", gcloud_adc),
    Store(".bash_history", "shell-history", whole_file),
    Store(".zsh_history", "shell-history", whole_file),
    Store(".sh_history", "shell-history", whole_file),
    Store(".local/share/fish/fish_history", "shell-history", whole_file),
    Store(".cursor/mcp.json", "cursor-mcp", mcp_json),
    Store(".config/Code/User/settings.json", "vscode-settings", mcp_json),
    Store(".config/Code/User/mcp.json", "vscode-mcp", mcp_json),
    Store("Library/Application Support/Code/User/settings.json", "vscode-settings", mcp_json),
    Store("Library/Application Support/Code/User/mcp.json", "vscode-mcp", mcp_json),
    Store(".claude.json", "claude-code", mcp_json),
    Store(".claude/settings*.json", "claude-code-settings", mcp_json),
    Store(".config/Claude/claude_desktop_config.json", "claude-desktop", mcp_json),
    Store("Library/Application Support/Claude/claude_desktop_config.json", "claude-desktop", mcp_json),
    Store(".codex/config.toml", "codex", codex_toml),
    Store(".codeium/windsurf/mcp_config.json", "windsurf", mcp_json),
    Store(".continue/config.json", "continue", mcp_json),
    Store(".continue/config.yaml", "continue", continue_yaml),
    *(Store(f"{base}/doctl/config.yaml", "doctl", doctl_config) for base in _CONFIG_DIRS),
    Store(".fly/config.yml", "flyctl", fly_config),
    Store(".local/share/com.vercel.cli/auth.json", "vercel-cli", vercel_auth),
    Store("Library/Application Support/com.vercel.cli/auth.json", "vercel-cli", vercel_auth),
    Store(".vercel/auth.json", "vercel-cli", vercel_auth),
    Store(".now/auth.json", "vercel-cli", vercel_auth),
    Store(".config/netlify/config.json", "netlify-cli", netlify_config),
    Store("Library/Preferences/netlify/config.json", "netlify-cli", netlify_config),
    Store("AppData/Roaming/netlify/Config/config.json", "netlify-cli", netlify_config),
    Store(".netlify/config.json", "netlify-cli", netlify_config),
    Store(".supabase/access-token", "supabase-cli", supabase_token),
    Store(".config/neonctl/credentials.json", "neonctl", neonctl_credentials),
    Store(".terraform.d/credentials.tfrc.json", "terraform-credentials", terraform_credentials),
    Store("AppData/Roaming/terraform.d/credentials.tfrc.json", "terraform-credentials", terraform_credentials),
    Store(".terraformrc", "terraformrc", terraformrc),
    Store(".pulumi/credentials.json", "pulumi", pulumi_credentials),
    Store(".config/.wrangler/config/default.toml", "wrangler", wrangler_config),
    Store(".wrangler/config/default.toml", "wrangler", wrangler_config),
    Store("Library/Preferences/.wrangler/config/default.toml", "wrangler", wrangler_config),
    Store(".config/configstore/firebase-tools.json", "firebase-cli", firebase_tools),
    Store(".config/stripe/config.toml", "stripe-cli", stripe_config),
    Store(".config/stripe/credentials.json", "stripe-cli-keyring-file", stripe_credentials),
    Store(".vault-token", "vault-token", vault_token),
    Store(".cargo/credentials.toml", "cargo", cargo_credentials),
    Store(".cargo/credentials", "cargo", cargo_credentials),
    Store(".gem/credentials", "rubygems", gem_credentials),
    Store(".local/share/gem/credentials", "rubygems", gem_credentials),
    Store(".m2/settings.xml", "maven-settings", maven_settings),
    Store(".gradle/gradle.properties", "gradle-properties", gradle_properties),
    *(Store(f"{base}/NuGet/NuGet.Config", "nuget-config", nuget_config) for base in (".nuget", *_CONFIG_DIRS)),
    *(Store(f"{base}/composer/auth.json", "composer-auth", composer_auth) for base in (".config", "AppData/Roaming")),
    Store(".composer/auth.json", "composer-auth", composer_auth),
    Store(".config/gcloud/credentials.db", "gcloud-credentials-db", gcloud_rows, "caches.gcloud_db_text"),
    Store(".config/gcloud/access_tokens.db", "gcloud-access-tokens-db", gcloud_rows, "caches.gcloud_db_text"),
    Store(".config/gcloud/legacy_credentials/*/adc.json", "gcloud-adc", gcloud_adc),
    Store(".config/gcloud/legacy_credentials/*/.boto", "gcloud-boto", gcloud_boto),
    Store(".azure/msal_token_cache.json", "azure-msal-cache", azure_msal_cache),
    Store(".azure/service_principal_entries.json", "azure-service-principals", azure_service_principals),
    Store(".azure/accessTokens.json", "azure-access-tokens", azure_legacy_tokens),
    Store(".aws/sso/cache/*.json", "aws-sso-cache", aws_sso_cache),
    Store(".aws/cli/cache/*.json", "aws-cli-cache", aws_cli_cache),
    Store(".git-credentials", "git-credentials", whole_file),
    Store(".config/git/credentials", "git-credentials", whole_file),
)

# Agent configs a repository carries, and a committed Railway CLI config: recognised by a tree scan at any depth.
REPO_STORES: tuple[Store, ...] = (
    Store(".railway/config*.json", "railway-config", railway_config),
    Store(".cursor/mcp.json", "cursor-mcp", mcp_json),
    Store(".vscode/mcp.json", "vscode-mcp", mcp_json),
    Store(".mcp.json", "claude-code-mcp", mcp_json),
    Store(".claude/settings*.json", "claude-code-settings", mcp_json),
    Store(".codex/config.toml", "codex", codex_toml),
    Store(".continue/config.json", "continue", mcp_json),
    Store(".continue/config.yaml", "continue", continue_yaml),
)


# What every path matching a store pattern ends with: the pattern after its last wildcard.
_STORE_TAILS = tuple({re.split(r"[*?\[\]]", store.pattern)[-1] for store in REPO_STORES})


# Each store's pattern, at the top or at any depth, as one regex: the first store whose pattern matches is the one
# whose group matched (every JSON file of a tree ends as two of the patterns do).
_REPO_STORE_PATHS = re.compile(
    "|".join(
        f"(?P<s{number}>{fnmatch.translate(store.pattern)}|{fnmatch.translate('*/' + store.pattern)})"
        for number, store in enumerate(REPO_STORES)
    )
)


def repo_store_for(path: str) -> Store | None:
    """The agent-config store a tree path is, if any (`.cursor/mcp.json` at any depth)."""
    if not path.endswith(_STORE_TAILS):
        return None  # almost every path: no pattern's literal ending
    found = _REPO_STORE_PATHS.match(path)
    return None if found is None or found.lastgroup is None else REPO_STORES[int(found.lastgroup[1:])]
