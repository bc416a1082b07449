"""Fly.io: one GraphQL query names who the token is (`viewer`: a User for a session token, a Macaroon for the tokens
`fly tokens create` prints) and the organizations it reaches, with its role and their apps. In a Fly.io
organization every member may deploy and destroy its apps; admins also manage members and billing.

A macaroon's caveats (org, deploy or read-only token, expiry) are inside the token; Fly.io answers a read-only token
and an org token alike, so what a macaroon may destroy stays unknown here.
"""

from __future__ import annotations

from typing import Any

from credscope.model import Access, Credential, Scope
from credscope.probes.base import capability_scope, json_object, limited, revoked, undetermined, unexpected
from credscope.probes.client import ProviderSession

QUERY = """query CredscopeFlyViewer {
  viewer { __typename email }
  organizations(first: 50) {
    totalCount
    nodes { slug name type viewerRole apps(first: 50) { totalCount nodes { name } } }
  }
}"""
# flyctl (fly-go) reads this message as "not authenticated": the token is not (or no longer) a valid one.
_NOT_AUTHENTICATED = "You must be authenticated"


def probe(credential: Credential, session: ProviderSession) -> Scope:
    secret = credential.secret
    if credential.kind == "oauth-token":
        headers = {"Authorization": f"Bearer {secret}"}
    else:
        headers = {"Authorization": secret if secret.startswith("FlyV1 ") else f"FlyV1 {secret}"}
    answer = session.graphql(QUERY, headers, operation="CredscopeFlyViewer")
    if answer.status == 401:
        raise revoked("CredscopeFlyViewer: HTTP 401 — the token is rejected (revoked, expired or invalid)")
    if answer.status != 200:
        raise unexpected(answer, "CredscopeFlyViewer")
    body = json_object(answer, "CredscopeFlyViewer")
    data: dict[str, Any] = body.get("data") or {}
    errors = [str(e.get("message", "")) for e in body.get("errors") or [] if isinstance(e, dict)]
    viewer = data.get("viewer") or {}
    if not viewer and any(_NOT_AUTHENTICATED in e for e in errors):
        raise revoked(f"CredscopeFlyViewer: {errors[0][:200]} — the token is rejected (revoked, expired or invalid)")
    kind = str(viewer.get("__typename", "?"))
    identity = {"email": str(viewer["email"])} if viewer.get("email") else {}
    evidence = [f"viewer: {kind} {viewer.get('email', '?')}"]
    organizations = [o for o in (data.get("organizations") or {}).get("nodes") or [] if isinstance(o, dict)]
    reached = [_organization(o) for o in organizations]
    evidence.append("reaches " + ("; ".join(line for line, _ in reached) or "no organization"))
    if errors:
        evidence.append("partly refused: " + "; ".join(limited(e[:160] for e in errors)))
    if kind != "User" and credential.kind != "oauth-token":
        # A macaroon: its caveats decide, and no read tells an org token from a read-only one.
        evidence.append(
            "a macaroon's caveats (org, deploy or read-only token) are inside the token and not decoded here;"
            " Fly.io answers reads alike for all of them: what it may destroy is unknown"
        )
        return undetermined(evidence, identity)
    actions = [action for _, action in reached]
    admin = any(str(o.get("viewerRole", "")).upper() == "ADMIN" for o in organizations)
    if errors and not organizations:
        # The organizations were refused: a session token's worst case (admin of each) stands.
        return capability_scope(session.provider, ["apps.delete", "volumes.delete"], evidence, identity, Access.ADMIN)
    access = Access.ADMIN if admin else Access.WRITE
    capabilities = ["orgs.read", "volumes.delete"] + (["apps.delete"] if admin else [])
    return capability_scope(session.provider, capabilities, evidence, identity, access, actions)


def _organization(organization: dict[str, Any]) -> tuple[str, str]:
    """(words for the evidence, the destructive action it grants)."""
    apps = organization.get("apps") or {}
    names = [str(a.get("name")) for a in apps.get("nodes") or [] if isinstance(a, dict)]
    total = apps.get("totalCount", len(names))
    slug = str(organization.get("slug") or organization.get("name") or "?")
    role = str(organization.get("viewerRole") or "?")
    shown = ", ".join(limited(sorted(names), 10))
    line = f"{slug} ({role}, {total} apps" + (f": {shown})" if names else ")")
    return line, f"flyio:apps.delete ({shown or 'no app yet'}) in {slug}"
