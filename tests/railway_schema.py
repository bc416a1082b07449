"""Railway's real GraphQL schema (../shared/research/railway-schema.graphql) and what it says about secret values.

`secret_fields` is the rule the Railway denial list in providers/railway.yaml is derived by; a test keeps the two
equal, so the list follows the schema rather than someone's memory of it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graphql import GraphQLNamedType, GraphQLOutputType, GraphQLSchema

# The copy in the project's research notes (printed from railwayapp/cli's src/gql/schema.json), beside every checkout.
SCHEMA_PATH = Path(__file__).resolve().parent.parent.parent / "shared" / "research" / "railway-schema.graphql"

# A value of these types cannot hold a secret: flags, numbers, ids and dates.
_NOT_TEXT = frozenset({"Boolean", "Int", "Float", "ID", "DateTime", "BigInt"})
# Words that, in a field's name or its scalar type's name, say the value is a secret.
_SECRET_WORDS = frozenset({"token", "secret", "password", "passphrase", "credential", "credentials", "variables"})
# Words that, in a type's name, say the whole object is a secret (its fields have plain names: code, endpoint).
_SECRET_TYPE_WORDS = frozenset({"secret", "credentials", "code", "codes"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@cache
def schema() -> GraphQLSchema:
    """The schema as Railway serves it. graphql-core 3.3 would refuse it whole for one rule newer than the server
    (Team.id is deprecated while Node.id is not), so the schema is taken as valid; documents are still validated
    against it field by field."""
    from graphql import build_schema

    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"), assume_valid=True)


def words(name: str) -> frozenset[str]:
    """The lower-case words of a camelCase name: secretAccessKey → {secret, access, key}."""
    return frozenset(word.lower() for word in _WORD.findall(name))


def secret_fields(graphql_schema: GraphQLSchema) -> frozenset[str]:
    """Names of the fields and arguments a read-only probe must never mention, by one rule over the schema:

    * a text field (String, JSON or a custom scalar) whose name or scalar type says it is a secret:
      `displayToken`, `secretAccessKey`, `variables: EnvironmentVariables`;
    * a field returning a type named as a secret (`…Secret`, `…Credentials`, `…Code(s)`) anywhere: the whole object
      is the secret (`bucketS3Credentials`, `projectInviteCode`);
    * a field returning *many* objects that hold a secret field (a list or a connection): listing other tokens
      is never needed (`projectTokens`, `apiTokens`). The one token introspecting itself (`projectToken`) stays
      allowed, its secret fields refused by name;
    * an argument that asks for decryption, and the field taking it (`config(decryptVariables:)`).

    Mutations are left out: the guard refuses every mutation whatever it names.
    """
    from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLScalarType, get_named_type

    types = {
        name: kind
        for name, kind in graphql_schema.type_map.items()
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType)
        and not name.startswith("__")
        and kind is not graphql_schema.mutation_type
        and kind is not graphql_schema.subscription_type
    }
    denied: set[str] = set()
    holders: set[str] = set()
    named_secret = {name for name in types if words(name) & _SECRET_TYPE_WORDS}
    for name, kind in types.items():
        for field_name, field in kind.fields.items():
            leaf = get_named_type(field.type)
            if not isinstance(leaf, GraphQLScalarType) or leaf.name in _NOT_TEXT:
                continue
            if (words(field_name) | words(leaf.name)) & _SECRET_WORDS:
                denied.add(field_name)
                holders.add(name)
    for kind in types.values():
        for field_name, field in kind.fields.items():
            returned = get_named_type(field.type).name
            if returned in named_secret:
                denied.add(field_name)
            many = _element(field.type)
            if many is not None and many.name in holders:
                denied.add(field_name)
            for argument in field.args:
                if "decrypt" in words(argument):
                    denied.update((argument, field_name))
    return frozenset(denied)


def _element(output: GraphQLOutputType) -> GraphQLNamedType | None:
    """What a list, or a Relay connection (`edges { node }` beside `pageInfo`), holds; None for a single value."""
    from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type

    while isinstance(output, GraphQLNonNull):
        output = output.of_type
    if isinstance(output, GraphQLList):
        return get_named_type(output)
    named = get_named_type(output)
    if isinstance(named, GraphQLObjectType) and {"edges", "pageInfo"} <= set(named.fields):
        edge = get_named_type(named.fields["edges"].type)
        if isinstance(edge, GraphQLObjectType) and "node" in edge.fields:
            return get_named_type(edge.fields["node"].type)
    return None
