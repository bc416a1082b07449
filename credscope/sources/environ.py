"""The process environment: every variable an agent's shell inherits, one document per variable."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from credscope.model import Document, Reach
from credscope.sources import SourceReport


@dataclass
class EnvironmentSource:
    """`NAME=value` documents with the display path `env:NAME`; `variables` defaults to os.environ."""

    variables: Mapping[str, str] | None = None
    name: str = "env"

    def documents(self, report: SourceReport) -> Iterator[Document]:
        variables = dict(os.environ if self.variables is None else self.variables)
        for variable in sorted(variables):
            value = variables[variable]
            if "\0" in value:
                report.skip(f"env:{variable}", "binary")
                continue
            yield Document(
                path=f"env:{variable}",
                content=f"{variable}={value}\n".encode("utf-8", "surrogateescape"),
                reach=Reach.ENV,
                hints={"variable": variable},
            )
