"""The one typed registry of offline inferences, keyed by provider id; built where the scan starts."""

from __future__ import annotations

from credscope.scope import ai, aws, azure, databases, github, kubernetes, pypi, railway, stripe, supabase
from credscope.scope.generic import infer as infer_generic
from credscope.scope.infer import Inference


def builtin_inferences() -> dict[str, Inference]:
    """Providers whose tokens or context say more than their kind table; the others use the table alone."""
    return {
        "railway": railway.infer,
        "aws": aws.infer,
        "stripe": stripe.infer,
        "supabase": supabase.infer,
        "pypi": pypi.infer,
        "azure": azure.infer,
        "openai": ai.infer_openai,
        "anthropic": ai.infer_anthropic,
        "postgres": databases.infer,
        "mysql": databases.infer,
        "mongodb": databases.infer,
        "redis": databases.infer,
        "kubernetes": kubernetes.infer,
        "github": github.infer,
        "generic": infer_generic,
    }
