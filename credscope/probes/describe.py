"""What each probe reads, from where, what decides its verdict and what it leaves unknown: the table of
docs/probes.md. The endpoints come from each provider's declared reads (the only requests the guard lets out); the
words are kept here, beside the probes, and a test holds the document to this rendering and to the registry."""

from __future__ import annotations

from collections.abc import Mapping

from credscope.catalogue import Catalogue

# provider id -> (what is read, what decides the verdict, what stays unknown and why)
DESCRIPTIONS: Mapping[str, tuple[str, str, str]] = {
    "anthropic": (
        "the organization (admin key); the model list (API key)",
        "an admin key is admin; a working API key is write (spends, deletes the workspace's files); 401 is revoked",
        "an API key's workspace permissions: not readable",
    ),
    "aws": (
        "caller identity; the user's or role's attached, inline and group policies; the simulator's decisions",
        "policy documents (wildcards, privilege escalation, deletes); simulated allows on `*` and on the resources"
        " the policies name; a key is asked in its partition (commercial, GovCloud, China) from the region or"
        " endpoint beside it, else in each; rejection in its known partition is revoked",
        "a policy the key may not read (named; the rest still counts); permission boundaries and SCPs; a key every"
        " partition rejects with no partition hint (not called revoked)",
    ),
    "cloudflare": (
        "token status; the token's own policies (permission groups); the accounts it lists",
        "user tokens verify at /user, account tokens (cfat_) at their account, whose id is kept beside the token or"
        " listed by GET /accounts; Write/Edit groups on zones, DNS, Workers, R2 are destructive",
        "an account token whose account is not found (the user endpoint rejects account tokens by design: never"
        " revoked from it alone); a token that may not read its own policies; global API keys (need the email)",
    ),
    "datadog": (
        "an API key's validity; an application key among its user's keys (by its last four characters) with its"
        " scopes, else its user's permissions",
        "dashboards_write and monitors_write delete dashboards and monitors, logs_delete_data deletes logs (admin),"
        " user_access_manage is admin; other writes write; an API key only submits data",
        "whether a refused key is live (a key of another Datadog site is refused alike: never called revoked); an"
        " application key without its API key beside it (not sent)",
    ),
    "digitalocean": (
        "the account and team; the droplets, databases, volumes and projects the token may list",
        "a working token is live and what it lists is named; 401 is revoked, 403 is a recognised token without that"
        " read scope",
        "whether it may delete what it lists: no call reports a token's scopes, and a read-only token lists the same"
        " (unknown, ranked by the worst its kind can do)",
    ),
    "docker": (
        "what the registry's token service grants the token (pull, push) on a repository of its own namespace, asked"
        " as `docker login` does with the username beside it",
        "push granted is write, with deleting repositories and tags kept as its worst case; pull only is read; 401"
        " is revoked",
        "Read & Write against Read, Write & Delete (not readable without deleting); tokens without a username beside"
        " them, registry logins and Swarm tokens: never sent",
    ),
    "flyio": (
        "one GraphQL query: the viewer (a User, or a Macaroon) and the organizations it reaches, with its role and"
        " their apps",
        "a session token may destroy the apps of every organization it reaches (admin where its role is ADMIN, write"
        " as a member), named; 401 or 'You must be authenticated' is revoked",
        "a macaroon's caveats (org, deploy or read-only token): inside the token, not decoded here, and Fly.io answers"
        " reads alike for all of them (unknown, its worst case)",
    ),
    "github": (
        "the user and the X-OAuth-Scopes header; an installation token's repositories; an app user token's"
        " installations and their permissions",
        "OAuth scopes (delete_repo, admin:org, repo…); for ghu_ tokens the installations' permissions, an upper"
        " bound of what the user may do; 401 is revoked",
        "fine-grained tokens' and installation tokens' permissions: not reported to a read call",
    ),
    "gitlab": (
        "the token itself (scopes, expiry); its user (admin?); the groups and projects it reaches, with its role",
        "scopes (api, sudo, admin_mode, write_*); Owner of a project or group with `api` can delete it; 401 is"
        " revoked, 403 insufficient_scope is a valid token",
        "group, project and deploy tokens (no read-only self-description); a token whose scopes do not cover /self",
    ),
    "heroku": (
        "the account, with the token's own scope (every answer's Oauth-Scope header); the apps it lists",
        "global is admin (delete apps and add-ons, named); write and write-protected are write, their worst case"
        " (deleting apps) kept; read, read-protected and identity only read; 401 is revoked",
        "an answer without the scope header (taken as global); team app permissions beyond the scope",
    ),
    "huggingface": (
        "whoami: user, organizations, the token's role and fine-grained permissions",
        "role write or a `.write` fine-grained permission is write; 401 is revoked",
        "what the user may write in each organization beyond the token's own permissions",
    ),
    "mongodb-atlas": (
        "with HTTP Digest (public key as user): the organizations the key reaches and its own roles there",
        "Organization Owner deletes projects and clusters (admin), Project Owner and Cluster Manager delete clusters,"
        " read-only roles read; a digest the server rejects is revoked, any other refusal (an IP access list) is not",
        "roles that cannot be read; a private key without its public key beside it, and service account secrets"
        " (they must be exchanged by a POST): never sent",
    ),
    "neon": (
        "the kind of key (GET /auth); the projects it reaches; for a personal key its user and the user's role in each"
        " organization",
        "an organization key is admin on every project of its organization; a personal key deletes the projects of"
        " its user's own account and, as an organization admin, the organization's (members delete branches); 401 is"
        " revoked",
        "a project-scoped key or one /auth does not name (its worst case: deleting the projects it reaches); a role"
        " that cannot be read (taken as admin)",
    ),
    "netlify": (
        "the user; its teams and their owners; the sites it reaches",
        "a personal access token acts as its user: Owner of a team is admin and may delete that team's sites (named),"
        " a member only deploys and edits settings (write); 401 is revoked",
        "teams the token may not list: taken as owned (their worst case)",
    ),
    "npm": (
        "the user; the user's tokens (classic: read-only or not; granular: package and org permissions), the token"
        " found by its key or shown prefix; the packages the user may publish",
        "a read-only token reads; a publish token or a granular package:write may unpublish the user's packages"
        " (named, write); org:write is admin; 401 is revoked",
        "a token that may not list tokens, or is not found among them (unknown, its worst case); tokens of other"
        " registries (their host comes from scanned text: never probed)",
    ),
    "openai": (
        "the organization's projects (admin key); the model list (other keys)",
        "an admin key is admin; 401 with `invalid_api_key` is revoked, 401/403 'insufficient permissions … Missing"
        " scopes' is a valid restricted key",
        "a project or restricted key's permission setting: not readable without trying a write",
    ),
    "planetscale": (
        "an OAuth token's own description at auth.planetscale.com: active, scopes, expiry",
        "delete_database… scopes are admin, other delete_… scopes destroy branches, passwords or deploy requests"
        " (named), write_/create_/approve_ scopes write, the rest read; inactive or 401 is revoked",
        "service tokens (they authenticate only with their id, not kept beside them), branch passwords (a MySQL host"
        " from scanned text) and refresh tokens (using one spends it): never sent",
    ),
    "postgres": (
        "role attributes; memberships (inherited or by SET ROLE); databases owned; table rights, the user's own and"
        " those of roles it can SET ROLE to",
        "superuser (or a role it can become) or CREATEROLE is admin; ownership, DELETE, TRUNCATE are destructive,"
        " named per table; login refused is revoked",
        "rights on objects beyond tables (functions, schemas) and in other databases than the one connected to",
    ),
    "railway": (
        "see the Railway section",
        "see the Railway section",
        "see the Railway section",
    ),
    "render": (
        "the user; its workspaces and its role in each; the services and PostgreSQL databases listed",
        "an API key acts as its user, with no scopes: ADMIN of a workspace deletes anything in it (admin), DEVELOPER"
        " anything outside protected environments (write, destructive), viewers and billing members only read; 401"
        " is revoked",
        "a role that cannot be read (taken as ADMIN); which environments are protected",
    ),
    "sendgrid": (
        "the key's own scopes",
        "api_keys/teammates/subusers/user writes are admin, other writes write, `.delete` destructive; 401 is"
        " revoked, 403 is a recognised key",
        "a key that may not list its scopes (403)",
    ),
    "slack": (
        "auth.test: workspace, user or bot, and the x-oauth-scopes header",
        "admin scopes are admin, write/manage scopes write; token_revoked/invalid_auth are revoked",
        "webhooks and app-level tokens: only testable by posting or connecting, never probed",
    ),
    "stripe": (
        "the account a secret key belongs to",
        "a working secret key is write (and the kind's destructive capabilities); 401 is revoked",
        "a restricted key's permissions: Stripe does not report them to a read call",
    ),
    "supabase": (
        "the projects a management token reaches",
        "a working management token is admin over each project listed; 401 is revoked, 403 a recognised token",
        "project API keys: their host comes from scanned text, so they are not probed",
    ),
    "terraform-cloud": (
        "the account (a user, or the team or organization behind a team or organization token); its organizations and"
        " their workspaces, each with the caller's own permissions",
        "can-queue-destroy (destroys the infrastructure) or can-destroy on a workspace, or can-destroy on an"
        " organization, is admin and destructive, named; can-queue-apply is write; 401 is revoked",
        "workspaces that cannot be listed (queueing destroy runs taken as allowed); Terraform Enterprise hosts (they"
        " come from scanned text: never probed)",
    ),
    "twilio": (
        "the account's API keys (allowed to the auth token and Main keys only); its phone numbers",
        "listing keys is the whole account (admin: keys, subaccounts, numbers, recordings); a key that may not, but"
        " lists numbers, is a Standard key (write, releases numbers); error 20003 is revoked, any other refusal is a"
        " recognised credential",
        "a Restricted key's permissions (readable only with a Main key); a credential whose Account SID (or key SID)"
        " was not found beside it is not probed",
    ),
    "vercel": (
        "the user; the token itself (name, expiry, user or team scopes); the teams and roles it reaches",
        "an OWNER of a team the token reaches can delete projects; 401 or 403 with invalidToken is revoked",
        "roles in teams the token reaches but may not read (their worst case stands)",
    ),
}


def render(catalogue: Catalogue) -> str:
    """The Markdown table: one row per provider that has a probe, endpoints from its declared reads."""
    header = (
        "provider",
        "what is read",
        "endpoints (declared reads)",
        "what decides the verdict",
        "what stays unknown",
    )
    rows = ["| " + " | ".join(header) + " |", "|---|---|---|---|---|"]
    for provider in sorted(catalogue.providers.values(), key=lambda p: p.id):
        if provider.probe is None:
            continue
        read, decides, unknown = DESCRIPTIONS.get(provider.probe, ("?", "?", "?"))
        endpoints = "<br>".join(f"`{entry}`" for entry in provider.reads)
        rows.append(f"| {provider.name} | {read} | {endpoints} | {decides} | {unknown} |")
    return "\n".join(rows) + "\n"
