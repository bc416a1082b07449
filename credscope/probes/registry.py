"""The typed registry of probes: built-in modules by name, plus third-party ones from the `credscope.probes`
entry-point group. A provider YAML names its probe with `probe:`; nothing is imported until it is needed."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from credscope.errors import ConfigError
from credscope.probes.base import Probe

ENTRY_POINT_GROUP = "credscope.probes"

# probe name -> "module:function"; one small module per provider.
BUILTIN: Mapping[str, str] = {
    "railway": "credscope.probes.railway:probe",
    "aws": "credscope.probes.aws:probe",
    "postgres": "credscope.probes.postgres:probe",
    "github": "credscope.probes.github:probe",
    "gitlab": "credscope.probes.gitlab:probe",
    "slack": "credscope.probes.slack:probe",
    "sendgrid": "credscope.probes.sendgrid:probe",
    "huggingface": "credscope.probes.huggingface:probe",
    "openai": "credscope.probes.openai:probe",
    "anthropic": "credscope.probes.anthropic:probe",
    "cloudflare": "credscope.probes.cloudflare:probe",
    "digitalocean": "credscope.probes.digitalocean:probe",
    "vercel": "credscope.probes.vercel:probe",
    "supabase": "credscope.probes.supabase:probe",
    "stripe": "credscope.probes.stripe:probe",
    "netlify": "credscope.probes.netlify:probe",
    "render": "credscope.probes.render:probe",
    "heroku": "credscope.probes.heroku:probe",
    "terraform-cloud": "credscope.probes.terraform_cloud:probe",
    "neon": "credscope.probes.neon:probe",
    "twilio": "credscope.probes.twilio:probe",
    "npm": "credscope.probes.npm:probe",
    "flyio": "credscope.probes.flyio:probe",
    "planetscale": "credscope.probes.planetscale:probe",
    "docker": "credscope.probes.docker:probe",
    "datadog": "credscope.probes.datadog:probe",
    "mongodb-atlas": "credscope.probes.mongodb_atlas:probe",
}


@dataclass(frozen=True)
class ProbeRegistry:
    targets: Mapping[str, str] = field(default_factory=lambda: dict(BUILTIN))

    @classmethod
    def installed(cls) -> ProbeRegistry:
        """Built-in probes, then those other packages declare; a third party may not replace a built-in one."""
        from importlib.metadata import entry_points  # noqa: PLC0415

        targets = dict(BUILTIN)
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            targets.setdefault(entry.name, entry.value)
        return cls(targets)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.targets))

    def load(self, name: str) -> Probe | None:
        target = self.targets.get(name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        try:
            loaded = getattr(importlib.import_module(module_name), attribute or "probe")
        except (ImportError, AttributeError) as error:
            raise ConfigError(target, "", f"probe {name!r} cannot be loaded: {error}") from None
        if not callable(loaded):
            raise ConfigError(target, "", f"probe {name!r} is not callable")
        return cast(Probe, loaded)
