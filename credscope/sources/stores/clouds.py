"""The login stores of cloud and platform CLIs: where each keeps its token, and whose token it is.

Railway (`~/.railway/config.json`), doctl, flyctl, Vercel, Netlify, Supabase, neonctl, Terraform, Pulumi,
wrangler, the Firebase CLI, the Stripe CLI and Vault. Each value a CLI sends as its credential is claimed for
the provider it is sent to (stores/claims.py); the file formats are the CLIs' own (see each parser).
"""

from __future__ import annotations

import re

from credscope.sources.stores import Claim, Entry
from credscope.sources.stores.lines import key_values
from credscope.sources.stores.spans import Node, parse_json, parse_yaml


def claim_of(
    node: Node | None, name: str, provider: str, kind: str, rule: str, fallback: str = "token"
) -> Claim | None:
    """A claim on a string value of a parsed store (None for a missing or non-string value)."""
    if node is None or not isinstance(node.value, str) or not node.value.strip():
        return None
    return Claim(node.first_line, node.value.strip(), name, provider, kind, rule, fallback)


def entry(node: Node, hints: dict[str, str], *claims: Claim | None) -> Entry:
    return Entry(node.first_line, node.last_line, hints, claims=tuple(c for c in claims if c is not None))


# --- Railway ---------------------------------------------------------------------------------------------------

_RAILWAY_IDENTITY_KEYS = frozenset({"id", "email", "name", "username"})


def railway_config(text: str) -> list[Entry]:
    """`~/.railway/config.json` (and `config-staging.json`, `config-dev.json`): the CLI's `RailwayConfig`.

    Every string under `user` but its id is a login credential (railwayapp/cli src/config.rs `RailwayUser`:
    `token`, `accessToken`, `refreshToken`): the CLI sends `accessToken`, else `token`, as its Bearer
    token, with the account's power. `projects` maps linked directories to project and environment ids.
    """
    root = parse_json(text)
    user = root.get("user")
    if user is None:
        return []
    hints = {"railway_user": user.text("id") or ""} if user.text("id") else {}
    linked = [
        f"{(project.text('name') or directory)[:64]} ({(project.text('environmentName') or 'no environment')[:32]})"
        for directory, project in root.mapping("projects")
    ]
    if linked:
        hints["linked_projects"] = ", ".join(linked[:3]) + (f" and {len(linked) - 3} more" if len(linked) > 3 else "")
    claims = [_railway_claim(key, node) for key, node in user.fields.items() if key not in _RAILWAY_IDENTITY_KEYS]
    return [entry(user, hints, *claims)]


def _railway_claim(key: str, node: Node) -> Claim | None:
    if key in ("accessToken", "refreshToken"):
        return claim_of(node, f"user.{key}", "railway", "oauth-token", "railway-oauth-token")
    if isinstance(node.value, str) and node.value.startswith("rw_Fe26."):
        return claim_of(node, f"user.{key}", "railway", "cli-session", "railway-legacy-session")
    return claim_of(node, f"user.{key}", "railway", "account-token", "railway-token")


# --- DigitalOcean, Fly.io, Vercel, Netlify, Supabase, Neon --------------------------------------------------------

_DIGITALOCEAN_KINDS = {
    "doo_v1_": ("oauth-token", "digitalocean-oauth-token"),
    "dor_v1_": ("refresh-token", "digitalocean-refresh-token"),
}


def doctl_config(text: str) -> list[Entry]:
    """doctl's `config.yaml` (os.UserConfigDir()/doctl: `~/.config/doctl`, macOS `Library/Application
    Support/doctl`): `access-token` for the default context, `auth-contexts` (name -> token) for the others."""
    root = parse_yaml(text)
    entries = []
    token = root.get("access-token")
    if token is not None:
        entries.append(entry(token, {"auth_context": "default"}, _digitalocean(token, "access-token")))
    for name, node in root.mapping("auth-contexts"):
        entries.append(entry(node, {"auth_context": name}, _digitalocean(node, f"auth-contexts.{name}")))
    return entries


def _digitalocean(node: Node, name: str) -> Claim | None:
    value = node.value if isinstance(node.value, str) else ""
    kind, rule = next(
        (found for prefix, found in _DIGITALOCEAN_KINDS.items() if value.startswith(prefix)),
        ("personal-access-token", "digitalocean-pat"),
    )
    return claim_of(node, name, "digitalocean", kind, rule)


def fly_config(text: str) -> list[Entry]:
    """flyctl's `~/.fly/config.yml` (internal/config: `access_token`): a macaroon (`FlyV1 fm2_…`) or, from
    older logins, a `fo1_` user token."""
    root = parse_yaml(text)
    token = root.get("access_token")
    if token is None:
        return []
    value = token.value if isinstance(token.value, str) else ""
    if value.startswith("fo1_"):
        claim = claim_of(token, "access_token", "flyio", "oauth-token", "flyio-oauth-token")
    else:
        claim = claim_of(token, "access_token", "flyio", "macaroon-token", "flyio-macaroon")
    return [entry(token, {}, claim)]


_VERCEL_KINDS = {
    "vcp_": ("personal-token", "vercel-personal-token"),
    "vci_": ("integration-token", "vercel-integration-token"),
    "vca_": ("app-access-token", "vercel-app-access-token"),
    "vcr_": ("app-refresh-token", "vercel-app-refresh-token"),
    "vck_": ("api-key", "vercel-api-key"),
}


def vercel_auth(text: str) -> list[Entry]:
    """The Vercel CLI's `auth.json` (`~/.local/share/com.vercel.cli`, macOS `Library/Application
    Support/com.vercel.cli`, formerly `~/.vercel` and `~/.now`): `{"token": …}`, the user's login token."""
    root = parse_json(text)
    token = root.get("token")
    if token is None:
        return []
    value = token.value if isinstance(token.value, str) else ""
    kind, rule = next(
        (found for prefix, found in _VERCEL_KINDS.items() if value.startswith(prefix)),
        ("legacy-token", "vercel-legacy-token"),
    )
    return [entry(token, {}, claim_of(token, "token", "vercel", kind, rule))]


def netlify_config(text: str) -> list[Entry]:
    """The Netlify CLI's global `config.json` (env-paths: `~/.config/netlify`, macOS `Library/Preferences/
    netlify`; formerly `~/.netlify`): `users.<id>.auth.token`, and the GitHub token it keeps beside it."""
    root = parse_json(text)
    entries = []
    for user_id, user in root.mapping("users"):
        hints = {"netlify_user": user.text("email") or user.text("name") or user_id}
        netlify = claim_of(
            user.get("auth", "token"), f"users.{user_id}.auth.token", "netlify", "personal-access-token", "netlify-pat"
        )
        github = claim_of(
            user.get("auth", "github", "token"),
            f"users.{user_id}.auth.github.token",
            "github",
            "oauth-token",
            "github-oauth-token",
        )
        entries.append(entry(user, hints, netlify, github))
    return entries


def supabase_token(text: str) -> list[Entry]:
    """`~/.supabase/access-token`: the Supabase CLI's fallback when no keyring holds its `sbp_` token
    (internal/utils/access_token.go)."""
    return _alone(text, "access-token", "supabase", "management-token", "supabase-management-token")


def _alone(text: str, name: str, provider: str, kind: str, rule: str) -> list[Entry]:
    """A store that is one token alone: its first non-empty line."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            return [Entry(number, number, {}, claims=(Claim(number, line.strip(), name, provider, kind, rule),))]
    return []


def neonctl_credentials(text: str) -> list[Entry]:
    """neonctl's `credentials.json` (`$XDG_CONFIG_HOME/neonctl`): the OAuth token set of `neonctl auth`
    (`access_token`, `refresh_token`), with the user's whole API access."""
    root = parse_json(text)
    claims = [
        claim_of(root.get(key), key, "neon", "oauth-token", "neon-api-key") for key in ("access_token", "refresh_token")
    ]
    hints = {"neon_user": root.text("user_id") or ""} if root.text("user_id") else {}
    return [entry(root, hints, *claims)]


# --- Terraform, Pulumi, wrangler, Firebase, Stripe, Vault -----------------------------------------------------

_TERRAFORMRC_BLOCK = re.compile(r"""^\s*credentials\s+"([^"]{1,253})"\s*\{""")
_TERRAFORMRC_TOKEN = re.compile(r"""^\s*token\s*=\s*"([^"]{1,1000})"\s*$""")


def terraform_credentials(text: str) -> list[Entry]:
    """`~/.terraform.d/credentials.tfrc.json` (`terraform login`): `credentials.<host>.token`."""
    root = parse_json(text)
    return [
        entry(node, {"host": host}, _terraform(node.get("token"), f"credentials.{host}.token"))
        for host, node in root.mapping("credentials")
    ]


def _terraform(node: Node | None, name: str) -> Claim | None:
    return claim_of(node, name, "terraform-cloud", "api-token", "terraform-cloud-token")


def terraformrc(text: str) -> list[Entry]:
    """`~/.terraformrc` (HCL): `credentials "<host>" { token = "…" }` blocks, read line by line."""
    entries = []
    host: tuple[str, int] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        block = _TERRAFORMRC_BLOCK.match(line)
        if block is not None:
            host = (block.group(1), number)
            continue
        token = _TERRAFORMRC_TOKEN.match(line)
        if token is not None and host is not None:
            claim = Claim(
                number,
                token.group(1),
                f"credentials.{host[0]}.token",
                "terraform-cloud",
                "api-token",
                "terraform-cloud-token",
            )
            entries.append(Entry(host[1], number, {"host": host[0]}, claims=(claim,)))
    return entries


def pulumi_credentials(text: str) -> list[Entry]:
    """`~/.pulumi/credentials.json` (`pulumi login`): `accessTokens` and `accounts` by backend URL."""
    root = parse_json(text)
    entries = [
        entry(
            node,
            {"backend": url},
            claim_of(node, f"accessTokens.{url}", "pulumi", "access-token", "pulumi-access-token"),
        )
        for url, node in root.mapping("accessTokens")
    ]
    for url, account in root.mapping("accounts"):
        hints = {"backend": url}
        if account.text("username"):
            hints["user"] = account.text("username") or ""
        token = claim_of(
            account.get("accessToken"), f"accounts.{url}.accessToken", "pulumi", "access-token", "pulumi-access-token"
        )
        entries.append(entry(account, hints, token))
    return entries


def wrangler_config(text: str) -> list[Entry]:
    """wrangler's `config/default.toml` (`~/.config/.wrangler`, formerly `~/.wrangler`; macOS
    `Library/Preferences/.wrangler`): `oauth_token` and `refresh_token` from `wrangler login`, or an
    `api_token`."""
    claims: list[Claim] = []
    for found in key_values(text):
        if found.section or not found.value:
            continue
        if found.key in ("oauth_token", "refresh_token"):
            claims.append(
                Claim(found.line, found.value, found.key, "cloudflare", "oauth-token", "cloudflare-user-token")
            )
        elif found.key == "api_token":
            legacy = not found.value.startswith("cfut_")
            kind, rule = (
                ("api-token", "cloudflare-legacy-token") if legacy else ("user-api-token", "cloudflare-user-token")
            )
            claims.append(Claim(found.line, found.value, found.key, "cloudflare", kind, rule))
    return [Entry(claim.line, claim.line, {}, claims=(claim,)) for claim in claims]


def firebase_tools(text: str) -> list[Entry]:
    """The Firebase CLI's configstore (`~/.config/configstore/firebase-tools.json`): Google OAuth `tokens`
    of the logged-in `user`, and of each of `additionalAccounts` (`firebase login:add`)."""
    root = parse_json(text)
    accounts: list[tuple[str, Node]] = [("", root)]
    listed = root.get("additionalAccounts")
    accounts += [(f"additionalAccounts.{index}.", node) for index, node in enumerate(listed.items if listed else ())]
    entries = []
    for prefix, account in accounts:
        tokens = account.get("tokens")
        if tokens is None:
            continue
        email = account.text("user", "email")
        hints = {"account": email} if email else {}
        refresh = claim_of(
            tokens.get("refresh_token"), f"{prefix}tokens.refresh_token", "gcp", "refresh-token", "gcp-refresh-token"
        )
        access = claim_of(
            tokens.get("access_token"), f"{prefix}tokens.access_token", "gcp", "access-token", "gcp-access-token"
        )
        entries.append(entry(tokens, hints, refresh, access))
    return entries


_STRIPE_KINDS = {
    "sk_live_": ("secret-key-live", "stripe-secret-key-live"),
    "rk_live_": ("restricted-key-live", "stripe-restricted-key-live"),
    "sk_test_": ("secret-key-test", "stripe-secret-key-test"),
    "rk_test_": ("restricted-key-test", "stripe-restricted-key-test"),
}
_STRIPE_KEYS = ("test_mode_api_key", "live_mode_api_key")


def stripe_config(text: str) -> list[Entry]:
    """The Stripe CLI's `~/.config/stripe/config.toml`: one table per profile with `test_mode_api_key` (live
    keys stay in the keyring, and only a redacted copy here; pkg/config/profile.go)."""
    values = key_values(text)
    accounts = {found.section: found.value for found in values if found.key == "account_id"}
    entries = []
    for found in values:
        if found.key in _STRIPE_KEYS:
            claim = _stripe(found.line, found.value, f"{found.section}.{found.key}")
            if claim is not None:
                hints = {"profile": found.section}
                if accounts.get(found.section):
                    hints["stripe_account"] = accounts[found.section]
                entries.append(Entry(found.line, found.line, hints, claims=(claim,)))
    return entries


def stripe_credentials(text: str) -> list[Entry]:
    """`~/.config/stripe/credentials.json`: the CLI's plain-text fallback for the keyring, `profile.key` ->
    value."""
    root = parse_json(text)
    entries = []
    for key, node in root.fields.items():
        profile, _, field = key.rpartition(".")
        if field in _STRIPE_KEYS and isinstance(node.value, str):
            claim = _stripe(node.first_line, node.value, key)
            if claim is not None:
                entries.append(Entry(node.first_line, node.last_line, {"profile": profile}, claims=(claim,)))
    return entries


def _stripe(line: int, value: str, name: str) -> Claim | None:
    found = next((kinds for prefix, kinds in _STRIPE_KINDS.items() if value.startswith(prefix)), None)
    return Claim(line, value, name, "stripe", *found) if found else None


_VAULT_KINDS = {
    "hvs.": ("service-token", "vault-service-token"),
    "hvb.": ("batch-token", "vault-batch-token"),
    "hvr.": ("recovery-token", "vault-recovery-token"),
    "b.": ("batch-token", "vault-batch-token"),
}


def vault_token(text: str) -> list[Entry]:
    """`~/.vault-token`: the token `vault login` keeps, alone in the file (its prefix tells its type)."""
    value = text.strip()
    kind, rule = next(
        (kinds for prefix, kinds in _VAULT_KINDS.items() if value.startswith(prefix)),
        ("service-token", "vault-legacy-token"),
    )
    return _alone(text, ".vault-token", "vault", kind, rule)
