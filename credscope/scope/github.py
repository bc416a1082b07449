"""GitHub: the token type by prefix and whether its checksum is one GitHub issues; scopes and permissions need
a live query, so access stays `unknown`."""

from __future__ import annotations

from credscope.detect.checksums import is_github_token
from credscope.model import Scope
from credscope.scope.facts import unknown
from credscope.scope.infer import Subject

TYPES = {
    "ghp_": ("classic-pat", "ghp_: a classic personal access token; its scopes (X-OAuth-Scopes) need a live query"),
    "gho_": ("oauth", "gho_: an OAuth app token; its scopes need a live query"),
    "ghu_": ("user-to-server", "ghu_: a GitHub App user-to-server token: the app's permissions within the user's"),
    "ghs_": ("installation", "ghs_: a GitHub App installation token; it expires an hour after it was issued"),
    "ghr_": ("refresh", "ghr_: a GitHub App refresh token: it mints new user-to-server tokens"),
    "github_pat_": (
        "fine-grained-pat",
        "github_pat_: a fine-grained personal access token; its repositories and permissions need a live query",
    ),
}


def infer(subject: Subject) -> Scope:
    secret = subject.credential.secret
    prefix = next((p for p in TYPES if secret.startswith(p)), None)
    if prefix is None:
        return unknown(("not a GitHub token prefix",))
    token_type, note = TYPES[prefix]
    if prefix == "github_pat_":
        checksum = "fine-grained tokens carry no published checksum"
    elif is_github_token(secret):
        checksum = "checksum valid: a token in GitHub's issued format"
    else:
        checksum = "checksum invalid: not a token GitHub issued"
    return unknown((note, checksum), {"token_type": token_type})
