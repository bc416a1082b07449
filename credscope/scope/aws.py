"""AWS: the account decoded from the key id, long-term AKIA vs temporary ASIA, canary accounts, profile context.

What an IAM key may do lives in IAM policies, which no offline reading can see: access stays `unknown`.
"""

from __future__ import annotations

from credscope.detect.decoding import aws_account_from_key_id
from credscope.model import Access, Scope
from credscope.scope.facts import context_values, unknown
from credscope.scope.infer import Subject

# Thinkst canarytokens AWS accounts and known knock-offs (TruffleHog canary.go, scopes.md §0.1).
CANARY_ACCOUNTS = frozenset(
    {
        "052310077262", "171436882533", "534261010715", "595918472158", "717712589309", "819147034852",
        "992382622183", "730335385048", "266735846894", "893192397702",
        "044858866125", "251535659677", "344043088457", "351906852752", "390477818340", "426127672474",
        "427150556519", "439872796651", "445142720921", "465867158099", "637958123769", "693412236332",
        "732624840810", "735421457923", "959235150393", "982842642351",
    }
)  # fmt: skip

_KEY_TYPES = {
    "AKIA": ("long-term", "AKIA: a long-term access key of an IAM user or the root user; it does not expire"),
    "ASIA": ("temporary", "ASIA: temporary STS credentials; they need the session token and expire"),
    "ABIA": ("bearer", "ABIA: an STS service bearer token"),
    "ACCA": ("context-specific", "ACCA: a context-specific credential"),
}
IAM_UNKNOWN = "IAM permissions are not in the key: only a live query (--verify) can read them"


def infer(subject: Subject) -> Scope:
    credential = subject.credential
    key_id = credential.parts.get("access_key_id") or (credential.secret if credential.kind == "access-key-id" else "")
    evidence: list[str] = []
    identity: dict[str, str] = {}
    if key_id:
        key_type, note = _KEY_TYPES.get(key_id[:4], ("unknown", f"{key_id[:4]}: an unusual key id prefix"))
        identity["key_type"] = key_type
        evidence.append(note)
        account = aws_account_from_key_id(key_id)
        if account is None:
            evidence.append(f"key id {key_id[:5]}… predates account-id encoding: account not decodable")
        else:
            identity["account"] = account
            evidence.append(f"key id encodes AWS account {account}")
            if account in CANARY_ACCOUNTS:
                identity["canary"] = "yes"
                return Scope(
                    access=Access.NONE,
                    destructive=False,
                    evidence=(
                        *evidence,
                        f"account {account} is a known canary-token account: using the key alerts its owner;"
                        " it grants nothing, and credscope never probes it",
                    ),
                    identity=identity,
                    production=False,
                )
        if key_type == "temporary":
            has_session = "session_token" in credential.parts
            evidence.append("session token found beside it" if has_session else "no session token beside it")
    evidence.extend(_profile_context(subject, identity))
    if credential.kind == "access-key-id":
        return Scope(
            access=Access.NONE,
            destructive=False,
            evidence=(
                *evidence,
                "an access key id alone grants nothing: its secret access key was not found beside it",
            ),
            identity=identity,
        )
    return unknown((*evidence, IAM_UNKNOWN), identity)


def _profile_context(subject: Subject, identity: dict[str, str]) -> list[str]:
    credential = subject.credential
    evidence: list[str] = []
    profiles = context_values(credential, "profile", "section")
    if profiles:
        identity["profile"] = profiles[0]
        evidence.append(f"AWS profile {', '.join(profiles)}")
    for role in context_values(credential, "role_arn"):
        identity["role_arn"] = role
        evidence.append(f"the profile assumes role {role} (role_arn): the key reaches that role's permissions too")
    for roles in context_values(credential, "assumable_roles"):
        evidence.append(f"other profiles assume {roles.replace(',', ', ')} with this key (source_profile)")
    return evidence
