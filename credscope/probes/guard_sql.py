"""The SQL half of the read-only guard: a statement is read with PostgreSQL's own grammar (pglast wraps libpg_query)
and passes only when it is one plain SELECT built from the node kinds below, calling only the functions below.

A keyword search cannot do this: comments, quotes and dollar quotes hide a `; COMMIT; BEGIN READ WRITE; DELETE`
from it, and a SELECT changes things through the functions it calls (`dblink_exec`, `pg_terminate_backend`,
`pg_advisory_lock`, `set_config`, `lo_export`). Anything not listed is refused: a new kind of node or function is a
reviewed addition here, not a default. Unqualified names resolve in `pg_catalog` only, because the database
session sets `search_path=pg_catalog` (transport_sql): a same-named function in the scanned database's own
schemas is never the one called.
"""

from __future__ import annotations

from collections.abc import Iterator

# The parse-tree nodes a read needs: expressions, joins, subqueries, CTEs whose bodies are SELECTs. Not listed,
# hence refused: IntoClause (SELECT INTO creates a table), LockingClause (FOR UPDATE/SHARE), every other
# statement (INSERT, UPDATE, DELETE, MERGE, CALL, COPY, SET, transaction control) wherever it hides (a
# data-modifying CTE is a DeleteStmt inside a CommonTableExpr), TABLESAMPLE, window definitions, XML/JSON tables.
ALLOWED_NODES = frozenset(
    {
        "RawStmt",
        "SelectStmt",
        "ResTarget",
        "ColumnRef",
        "A_Star",
        "A_Const",
        "String",
        "Integer",
        "Float",
        "Boolean",
        "BitString",
        "ParamRef",
        "A_Expr",
        "BoolExpr",
        "NullTest",
        "BooleanTest",
        "SubLink",
        "FuncCall",
        "SQLValueFunction",
        "TypeCast",
        "TypeName",
        "CaseExpr",
        "CaseWhen",
        "CoalesceExpr",
        "MinMaxExpr",
        "A_ArrayExpr",
        "A_Indirection",
        "A_Indices",
        "RowExpr",
        "NamedArgExpr",
        "RangeVar",
        "RangeSubselect",
        "RangeFunction",
        "JoinExpr",
        "Alias",
        "SortBy",
        "WithClause",
        "CommonTableExpr",
    }
)

# Functions that only read the catalogue or compute on their arguments. The first three are what the built-in
# PostgreSQL probe sends; the others are the same family (privilege inquiry, session facts, plain aggregates).
ALLOWED_FUNCTIONS = frozenset(
    {
        "current_database",
        "pg_has_role",
        "has_table_privilege",
        "has_any_column_privilege",
        "has_column_privilege",
        "has_database_privilege",
        "has_function_privilege",
        "has_schema_privilege",
        "has_sequence_privilege",
        "current_schema",
        "version",
        "count",
        "array_agg",
        "string_agg",
        "bool_and",
        "bool_or",
        "min",
        "max",
        "lower",
        "upper",
    }
)
_CATALOGUE_SCHEMA = "pg_catalog"


def select_refusal(statement: str) -> str | None:
    """Why `statement` is not one side-effect-free SELECT, or None when it is."""
    from pglast import ast, parse_sql  # noqa: PLC0415 - only with --verify
    from pglast.parser import ParseError  # noqa: PLC0415

    try:
        parsed = parse_sql(statement)
    except ParseError as error:
        return f"it does not parse as PostgreSQL ({error.args[0] if error.args else 'syntax error'})"
    if len(parsed) != 1:
        return f"it holds {len(parsed)} statements, not one"
    if not isinstance(parsed[0].stmt, ast.SelectStmt):
        return f"it is a {type(parsed[0].stmt).__name__}, not a SELECT"
    for node in _nodes(parsed[0]):
        kind = type(node).__name__
        if kind not in ALLOWED_NODES:
            return f"it contains {_described(kind)}"
        if isinstance(node, ast.FuncCall):
            name = _qualified(node.funcname or ())
            if name is None or name not in ALLOWED_FUNCTIONS:
                return (
                    f"it calls {_dotted(node.funcname or ())}(), which is not on the list of side-effect-free functions"
                )
        elif isinstance(node, ast.A_Expr) and _qualified(node.name or ()) is None:
            return f"it uses operator {_dotted(node.name or ())} from outside {_CATALOGUE_SCHEMA}"
        elif isinstance(node, ast.TypeName) and _qualified(node.names or ()) is None:
            return f"it casts to type {_dotted(node.names or ())} from outside {_CATALOGUE_SCHEMA}"
    return None


def _nodes(root: object) -> Iterator[object]:
    """Every parse-tree node under `root` (itself included), depth first, without recursion."""
    from pglast import ast  # noqa: PLC0415

    pending: list[object] = [root]
    while pending:
        item = pending.pop()
        if isinstance(item, tuple):
            pending.extend(item)
        elif isinstance(item, ast.Node):
            yield item
            pending.extend(getattr(item, member) for member in item)


def _qualified(name: tuple[object, ...]) -> str | None:
    """The bare name when it is unqualified or qualified by pg_catalog; None when another schema owns it."""
    parts = [getattr(part, "sval", "") for part in name]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2 and parts[0] == _CATALOGUE_SCHEMA:
        return str(parts[1])
    return None


def _dotted(name: tuple[object, ...]) -> str:
    return ".".join(str(getattr(part, "sval", "?")) for part in name)


_DESCRIBED = {
    "IntoClause": "SELECT INTO (it creates a table)",
    "LockingClause": "a locking clause (FOR UPDATE/SHARE)",
    "InsertStmt": "an INSERT",
    "UpdateStmt": "an UPDATE",
    "DeleteStmt": "a DELETE",
    "MergeStmt": "a MERGE",
}


def _described(kind: str) -> str:
    return _DESCRIBED.get(kind, f"a {kind} node, which a read does not need")
