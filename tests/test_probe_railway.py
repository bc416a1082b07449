"""Railway --verify against a fake that answers from Railway's real schema: account, workspace, project and OAuth
tokens told apart; workspace *and* project roles counted; answers blanked by one refused field read again in
pieces; what still cannot be read said, never taken as safe."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from railway_schema import schema, secret_fields
from servers.railway import (
    ALICE,
    Caller,
    Env,
    ProjectSpec,
    RailwayFake,
    Service,
    User,
    Volume,
    WorkspaceSpec,
    World,
    default_world,
)

from credscope.api import ScanOptions, scan
from credscope.catalogue import Catalogue, builtin_provider_dir, load_provider
from credscope.model import Access, Credential, Location, Reach, ScopeSource, fingerprint_of
from credscope.probes import railway_reach
from credscope.probes.guard import HttpRead, check_graphql_document, parse_reads
from credscope.probes.runner import verify
from credscope.probes.settings import ProbeSettings

pytest.importorskip("httpx")

StartWorld = Callable[[World], RailwayFake]
PROVIDER = load_provider(builtin_provider_dir() / "railway.yaml")
CATALOGUE = Catalogue({"railway": PROVIDER})


def _verify(tmp_path: Path, fake: RailwayFake, files: dict[str, str], log: Path | None = None) -> dict[str, Credential]:
    """The whole scan, from files to verdicts."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    settings = ProbeSettings(
        timeout=5,
        endpoints={"railway": f"{fake.server.url}/graphql/v2"},
        endpoint_origins={"railway": "CREDSCOPE_RAILWAY_ENDPOINT"},
        probe_log=log,
    )
    # Only Railway's YAML: this test is about its probe, whatever happens to the rest of the catalogue.
    result = scan([tmp_path], ScanOptions(verify=settings), catalogue=CATALOGUE)
    assert any("CREDSCOPE_RAILWAY_ENDPOINT" in note for note in result.notes)
    _nothing_unsafe_arrived(fake)
    return {c.secret: c for c in result.credentials}


def _probe(fake: RailwayFake, kind: str, secret: str, path: str = "deploy.sh", **context: str) -> Credential:
    """The probe stage alone, on one credential as detection would hand it over."""
    location = Location(path=path, line=1, column=1, reach=Reach.TRACKED, context=context)
    credential = Credential(fingerprint_of(secret), "railway", kind, "railway-token", secret, (location,))
    settings = ProbeSettings(timeout=5, endpoints={"railway": f"{fake.server.url}/graphql/v2"})
    [verified], _ = verify([credential], CATALOGUE, settings)
    _nothing_unsafe_arrived(fake)
    return verified


def _nothing_unsafe_arrived(fake: RailwayFake) -> None:
    assert (fake.mutations, fake.secret_requests, fake.invalid) == ([], [], [])


# -- the default world ----------------------------------------------------------------------------------------


def test_account_token_is_admin_and_lists_what_it_can_delete(tmp_path: Path, railway_fake: RailwayFake) -> None:
    found = _verify(tmp_path, railway_fake, {"fix_domains.sh": f"RAILWAY_API_TOKEN={railway_fake.account}\n"})
    scope = found[railway_fake.account].scope
    assert scope.scope_source is ScopeSource.QUERIED
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.identity["token"] == "account"
    assert scope.identity["user"] == "alice@example.invalid"
    # The Side workspace is VIEWER only, and Alice holds no role in its project: nothing of it is destructive.
    assert scope.destructive_actions == (
        "railway:projectDelete rentals",
        "railway:volumeDelete pg-data (rentals)",
        "railway:serviceDelete api (rentals)",
        "railway:serviceDelete postgres (rentals)",
    )
    assert scope.evidence == (
        "Railway answered me: an account token",
        "workspace Rentals Co: the token's user is ADMIN",
        "can delete project rentals (workspace Rentals Co)",
        "can delete volume pg-data in project rentals (production, staging)",
        "volume pg-data is shared by production, staging: volumeDelete takes no environment and removes it, with its"
        " backups, from all of them",
        "workspace Side: VIEWER — read only",
    )
    assert found[railway_fake.account].severity.value == "critical"


def test_workspace_token_reaches_one_workspace(tmp_path: Path, railway_fake: RailwayFake) -> None:
    found = _verify(tmp_path, railway_fake, {"ci.env": f"RAILWAY_API_TOKEN={railway_fake.workspace}\n"})
    scope = found[railway_fake.workspace].scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.identity["token"] == "workspace"
    assert scope.identity["workspace"] == "Rentals Co"
    assert scope.evidence[:3] == (
        "Railway answered apiToken but not me: a workspace token",
        "workspace Rentals Co: a workspace token reaches every resource of its workspace",
        "can delete project rentals (workspace Rentals Co)",
    )
    assert "railway:volumeDelete pg-data (rentals)" in scope.destructive_actions
    assert "can delete volume pg-data in project rentals (production, staging)" in scope.evidence


def test_project_token_is_bound_to_its_environment(tmp_path: Path, railway_fake: RailwayFake) -> None:
    found = _verify(tmp_path, railway_fake, {".env": f"RAILWAY_TOKEN={railway_fake.project}\n"})
    credential = found[railway_fake.project]
    assert credential.kind == "project-token"
    scope = credential.scope
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.identity == {**scope.identity, "token": "project", "project": "rentals", "environment": "production"}
    assert "can delete volume pg-data in project rentals (production)" in scope.evidence
    assert "railway:serviceDelete api (rentals, production)" in scope.destructive_actions
    assert not any("projectDelete" in action for action in scope.destructive_actions)
    # The project token was sent only in its own header, and the probe started with projectToken.
    first = railway_fake.server.requests[0]
    assert first.headers["project-access-token"] == railway_fake.project
    assert "authorization" not in first.headers


def test_revoked_token_is_none(tmp_path: Path, railway_fake: RailwayFake) -> None:
    found = _verify(tmp_path, railway_fake, {"deploy.sh": f"RAILWAY_API_TOKEN={railway_fake.revoked}\n"})
    scope = found[railway_fake.revoked].scope
    assert scope.access is Access.NONE
    assert scope.destructive is False
    assert scope.scope_source is ScopeSource.QUERIED
    assert scope.evidence == (
        "live check: Railway refused the token as account, workspace and project token: CredscopeMe: Not"
        " Authorized; CredscopeApiToken: Not Authorized; CredscopeProjectToken: Project Token not found",
    )
    assert found[railway_fake.revoked].severity.value == "info"


def test_only_queries_are_sent_and_never_secrets(tmp_path: Path, railway_fake: RailwayFake) -> None:
    log = tmp_path / "probe.log"
    _verify(
        tmp_path,
        railway_fake,
        {
            "a.sh": f"RAILWAY_API_TOKEN={railway_fake.account}\n",
            "b.env": f"RAILWAY_TOKEN={railway_fake.project}\n",
            "c.sh": f"RAILWAY_API_TOKEN={railway_fake.workspace}\n",
        },
        log,
    )
    requests = railway_fake.server.requests
    assert requests, "the fake saw no request"
    for request in requests:
        assert request.method == "POST"
        assert request.path == "/graphql/v2"
        assert request.headers["user-agent"].startswith("credscope/")
        document = json.loads(request.body)["query"]
        assert document.lstrip().startswith("query ")
        check_graphql_document("railway", document, secret_fields(schema()))
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(entries) == len(requests)
    assert {e["provider"] for e in entries} == {"railway"}
    assert {e["method"] for e in entries} == {"POST"}
    assert {e["status"] for e in entries} == {"200"}
    assert {"CredscopeMe", "CredscopeApiToken", "CredscopeProjectToken", "CredscopeWorkspaceProjects"} <= {
        e["target"] for e in entries
    }
    text = log.read_text()
    for secret in (railway_fake.account, railway_fake.project, railway_fake.workspace):
        assert secret not in text


# -- the real schema ------------------------------------------------------------------------------------------


def test_the_denial_list_is_the_one_derived_from_the_real_schema() -> None:
    [read] = [r for r in parse_reads(PROVIDER.source, PROVIDER.reads) if isinstance(r, HttpRead) and r.graphql]
    assert sorted(read.forbidden) == sorted(secret_fields(schema()))
    # What the rule finds, spelled out: a change of schema or rule shows here first.
    assert sorted(read.forbidden) == [
        "apiTokens",
        "bucketS3Credentials",
        "config",
        "credentialId",
        "decryptVariables",
        "displayToken",
        "inviteCode",
        "passkeys",
        "patch",
        "projectInviteCode",
        "projectTokens",
        "secret",
        "secretAccessKey",
        "token",
        "variables",
        "variablesForServiceDeployment",
        "verificationToken",
    ]


def test_every_document_the_probe_can_send_validates_and_names_no_secret() -> None:
    from graphql import parse, validate

    # Every document of the module is in DOCUMENTS: one added without being listed would escape this test.
    written = {value for value in vars(railway_reach).values() if isinstance(value, str) and value.startswith("query ")}
    assert written == set(railway_reach.DOCUMENTS)
    denied = secret_fields(schema())
    for document in railway_reach.DOCUMENTS:
        assert validate(schema(), parse(document)) == [], document
        check_graphql_document("railway", document, denied)


def test_the_fake_blanks_the_answer_at_one_refused_field_like_the_real_schema(railway_world: StartWorld) -> None:
    """A non-null chain from `project` to `volumeInstances`: the refused restricted environment nulls `data`."""
    import httpx

    world = _agency()
    fake = railway_world(world)
    [bob] = [t for t, c in world.tokens.items() if c.kind == "account"]
    document = (
        'query { project(id: "prj-shop") { name environments { edges { node { name'
        " volumeInstances { edges { node { volumeId } } } } } } } }"
    )
    answer = httpx.post(
        f"{fake.server.url}/graphql/v2", json={"query": document}, headers={"Authorization": f"Bearer {bob}"}
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "data": None,
        "errors": [
            {
                "message": "Not Authorized",
                "locations": [{"line": 1, "column": document.index("volumeInstances") + 1}],
                "path": ["project", "environments", "edges", 0, "node", "volumeInstances"],
            }
        ],
    }


# -- case 3: projects reached through project roles -----------------------------------------------------------

BOB = User("usr-bob", "bob@example.invalid", "Bob")
CAROL = User("usr-carol", "carol@example.invalid", "Carol")


def test_oauth_token_granted_one_project_counts_it(railway_world: StartWorld) -> None:
    """An OAuth grant of one project: Railway lists it only under externalWorkspaces, not under me.workspaces."""
    from helpers import token

    secret = token("{{password:43}}")
    shop = ProjectSpec(
        "prj-shop",
        "shop",
        "ws-acme",
        (Env("env-shop", "production"),),
        (Service("svc-web", "web"),),
        (Volume("vol-shop", "shop-data", ("env-shop",)),),
        {"usr-carol": "ADMIN", "usr-bob": "ADMIN"},
    )
    internal = ProjectSpec("prj-internal", "internal", "ws-acme", (Env("env-int", "production"),))
    world = World(
        users=(BOB, CAROL),
        workspaces=(WorkspaceSpec("ws-acme", "Acme", {"usr-carol": "ADMIN"}),),
        projects=(shop, internal),
        tokens={secret: Caller("oauth", user="usr-bob", granted=frozenset({"prj-shop"}))},
    )
    fake = railway_world(world)
    verified = _probe(fake, "oauth-token", secret, "home/.railway/config.json", field="accessToken")
    scope = verified.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        "railway:projectDelete shop",
        "railway:volumeDelete shop-data (shop)",
        "railway:serviceDelete web (shop)",
    )
    assert scope.evidence == (
        "Railway answered me: an OAuth token; it acts with its user's roles, capped by the scopes granted",
        "project shop (shared from workspace Acme): bob@example.invalid is ADMIN of the project",
        "can delete project shop (shared from workspace Acme)",
        "can delete volume shop-data in project shop (production)",
    )
    assert dict(scope.identity) == {**scope.identity, "token": "oauth", "user": "bob@example.invalid"}
    assert verified.severity.value == "critical"


def _agency(restricted: bool = True) -> World:
    """Bob is a MEMBER of Agency, where he created `shop` (so he is its ADMIN) and was made MEMBER of `crm`;
    a VIEWER of Client, whose `portal` was shared with him as ADMIN; and the ADMIN of `tool`, shared from a
    workspace he does not belong to. `shop`'s production environment is restricted (workspace admins only)."""
    from helpers import token

    shop = ProjectSpec(
        "prj-shop",
        "shop",
        "ws-agency",
        (Env("env-shop-prod", "production", restricted=restricted), Env("env-shop-stg", "staging")),
        (Service("svc-shop", "storefront"),),
        (Volume("vol-shop", "shop-db", ("env-shop-prod", "env-shop-stg")),),
        {"usr-bob": "ADMIN"},
    )
    crm = ProjectSpec(
        "prj-crm",
        "crm",
        "ws-agency",
        (Env("env-crm", "production"),),
        (Service("svc-crm", "crm-api"),),
        (Volume("vol-crm", "crm-db", ("env-crm",)),),
        {"usr-carol": "ADMIN", "usr-bob": "MEMBER"},
    )
    site = ProjectSpec("prj-site", "site", "ws-agency", (Env("env-site", "production"),), (Service("svc-site", "www"),))
    portal = ProjectSpec(
        "prj-portal", "portal", "ws-client", (Env("env-portal", "production"),), (), (), {"usr-bob": "ADMIN"}
    )
    tool = ProjectSpec(
        "prj-tool",
        "tool",
        "ws-other",
        (Env("env-tool", "production"),),
        (Service("svc-tool", "worker"),),
        (),
        {"usr-bob": "MEMBER"},
    )
    return World(
        users=(BOB, CAROL),
        workspaces=(
            WorkspaceSpec("ws-agency", "Agency", {"usr-carol": "ADMIN", "usr-bob": "MEMBER"}),
            WorkspaceSpec("ws-client", "Client", {"usr-carol": "ADMIN", "usr-bob": "VIEWER"}),
            WorkspaceSpec("ws-other", "Other", {"usr-carol": "ADMIN"}),
        ),
        projects=(shop, crm, site, portal, tool),
        tokens={token("{{uuid4}}"): Caller("account", user="usr-bob")},
    )


def test_account_token_of_a_workspace_member_counts_the_projects_it_is_admin_of(railway_world: StartWorld) -> None:
    """Judged by the workspace roles alone (MEMBER, VIEWER) the token could delete nothing; as ADMIN of `shop`
    (its creator) and of `portal` (shared with him) it can delete both."""
    world = _agency(restricted=False)
    fake = railway_world(world)
    [secret] = world.tokens
    verified = _probe(fake, "account-token", secret, name="RAILWAY_API_TOKEN")
    scope = verified.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        "railway:projectDelete shop",
        "railway:volumeDelete shop-db (shop)",
        "railway:serviceDelete storefront (shop)",
        "railway:projectDelete portal",
    )
    assert scope.evidence == (
        "Railway answered me: an account token",
        "workspace Agency: MEMBER — can change services and variables, not delete them",
        "project shop (workspace Agency): bob@example.invalid is ADMIN of the project",
        "can delete project shop (workspace Agency)",
        "can delete volume shop-db in project shop (production, staging)",
        "volume shop-db is shared by production, staging: volumeDelete takes no environment and removes it, with"
        " its backups, from all of them",
        "workspace Client: VIEWER — read only",
        "project portal (workspace Client): bob@example.invalid is ADMIN of the project",
        "can delete project portal (workspace Client)",
        "project tool (shared from workspace Other): MEMBER of the project — can change it, not delete it",
    )
    assert verified.severity.value == "critical"


# -- case 4: one refused field blanks the whole answer --------------------------------------------------------


def test_project_token_reads_only_its_own_environment(railway_fake: RailwayFake) -> None:
    """Railway refuses a project token the other environments' volume instances, which blanks a query for the
    whole project: the probe asks for its own environment, as the Railway CLI does."""
    verified = _probe(railway_fake, "project-token", railway_fake.project, ".env", name="RAILWAY_TOKEN")
    scope = verified.scope
    assert (scope.access, scope.destructive) == (Access.WRITE, True)
    assert scope.destructive_actions == (
        "railway:serviceDelete api (rentals, production)",
        "railway:serviceDelete postgres (rentals, production)",
        "railway:environmentPatchCommit volume pg-data isDeleted (rentals, production)",
    )
    assert scope.evidence == (
        "Railway answered projectToken: a project token for rentals (production)",
        "can delete service api in project rentals (production)",
        "can delete service postgres in project rentals (production)",
        "can delete volume pg-data in project rentals (production)",
        "a project token cannot delete the project or other environments",
    )
    assert verified.severity.value == "high"


def test_a_restricted_environment_does_not_blank_the_workspace(railway_world: StartWorld) -> None:
    """`shop`'s production is restricted to workspace admins: reading Agency's projects whole is refused, so
    they are read one by one, and `shop` environment by environment; what stays unreadable is said."""
    world = _agency(restricted=True)
    fake = railway_world(world)
    [secret] = world.tokens
    verified = _probe(fake, "account-token", secret, name="RAILWAY_API_TOKEN")
    scope = verified.scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        "railway:projectDelete shop",
        "railway:volumeDelete shop-db (shop)",
        "railway:serviceDelete storefront (shop)",
        "railway:projectDelete portal",
    )
    assert scope.evidence == (
        "Railway answered me: an account token",
        "workspace Agency: MEMBER — can change services and variables, not delete them",
        "project shop (workspace Agency): bob@example.invalid is ADMIN of the project",
        "can delete project shop (workspace Agency)",
        "can delete volume shop-db in project shop (staging)",
        "workspace Client: VIEWER — read only",
        "project portal (workspace Client): bob@example.invalid is ADMIN of the project",
        "can delete project portal (workspace Client)",
        "project tool (shared from workspace Other): MEMBER of the project — can change it, not delete it",
        "unknown: project shop (workspace Agency): environment production: Railway says the token may not read it"
        " (canAccess false)",
    )
    targets = [json.loads(r.body)["query"].split("(")[0].split("{")[0].split()[-1] for r in fake.server.requests]
    assert targets.count("CredscopeWorkspaceProjectIds") == 1  # Agency's page, refused whole, listed by id


def test_every_page_of_projects_is_read(railway_world: StartWorld) -> None:
    """105 projects: `first: 100` alone silently dropped five of them."""
    from helpers import token

    secret = token("{{uuid4}}")
    projects = tuple(
        ProjectSpec(f"prj-{n:03}", f"p{n:03}", "ws-big", (Env(f"env-{n:03}", "production"),)) for n in range(105)
    )
    world = World(
        users=(ALICE,),
        workspaces=(WorkspaceSpec("ws-big", "Big", {"usr-alice": "ADMIN"}),),
        projects=projects,
        tokens={secret: Caller("account", user="usr-alice")},
    )
    fake = railway_world(world)
    scope = _probe(fake, "account-token", secret, name="RAILWAY_API_TOKEN").scope
    assert (scope.access, scope.destructive) == (Access.ADMIN, True)
    assert scope.destructive_actions == (
        *(f"railway:projectDelete p{n:03}" for n in range(40)),
        "… and 65 more",
    )
    assert scope.evidence[-1] == "… and 67 more"  # 2 lines, then one per project: 107, of which 40 shown


def test_workspaces_that_cannot_be_read_are_unknown_not_none(railway_world: StartWorld) -> None:
    """Railway answers `me` but refuses its workspaces (2FA enforced): 'reaches no workspace' would be a guess."""
    from helpers import token

    secret = token("{{uuid4}}")
    world = default_world()
    world.tokens[secret] = Caller("account", user="usr-alice")
    world.refused["User.workspaces"] = "Two Factor Authentication Required"
    fake = railway_world(world)
    verified = _probe(fake, "account-token", secret, name="RAILWAY_API_TOKEN")
    scope = verified.scope
    assert (scope.access, scope.destructive, scope.destructive_actions) == (Access.UNKNOWN, None, ())
    assert scope.evidence == (
        "Railway answered me: an account token",
        "unknown: the workspaces of alice@example.invalid (CredscopeWorkspaces: Two Factor Authentication Required)",
    )
    assert "railway:volumeDelete" in scope.potential_actions
    assert verified.severity.value == "high"


def test_a_workspace_whose_projects_cannot_be_listed_is_not_called_harmless(railway_fake: RailwayFake) -> None:
    """A workspace token reaches every project of its workspace; when none can be listed, what it can delete
    is unknown, not nothing."""
    railway_fake.world.refused["Workspace.projects"] = "Not Authorized"
    verified = _probe(railway_fake, "workspace-token", railway_fake.workspace, name="RAILWAY_WORKSPACE_TOKEN")
    scope = verified.scope
    assert (scope.access, scope.destructive, scope.destructive_actions) == (Access.ADMIN, None, ())
    assert scope.evidence == (
        "Railway answered apiToken but not me: a workspace token",
        "workspace Rentals Co: a workspace token reaches every resource of its workspace",
        "unknown: workspace Rentals Co: its projects (CredscopeWorkspaceProjectIds: Not Authorized)",
    )
    assert verified.severity.value == "critical"


def test_the_railway_section_of_the_probes_doc_names_every_operation() -> None:
    import re

    text = (Path(__file__).resolve().parent.parent / "docs" / "probes.md").read_text(encoding="utf-8")
    section = text.split("\n## Railway\n", 1)[1].split("\n## ", 1)[0]
    sent = {match.group(1) for document in railway_reach.DOCUMENTS if (match := re.match(r"query (\w+)", document))}
    assert len(sent) == len(railway_reach.DOCUMENTS)  # every document is a named operation
    assert set(re.findall(r"`(Credscope\w+)`", section)) == sent
