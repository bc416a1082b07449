"""The right provider, or none: a prefix several services share is attributed by the name, host or file around it.

`sk_live_` is Stripe's prefix but also Clerk's and WorkOS's, `pk_test_` is also Courier's, a JWT beside a Supabase
URL may be another service's: a confident wrong provider with a critical verdict is worse than a miss. Each row
names the text, where it sits, and the exact (rule, provider, kind, line) expected, or a provider that must not
claim it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from credscope.catalogue import load_catalogue
from credscope.detect.engine import Detector
from credscope.model import Candidate, Document, Reach
from credscope.testing.generate import expand

CATALOGUE = load_catalogue()
DETECTOR = Detector(CATALOGUE)
# Clerk's rule is another catalogue entry; without it a Clerk key is generic, never Stripe's.
HAS_CLERK = "clerk" in CATALOGUE.providers


def _clerk_or_generic(kind_if_generic: str) -> tuple[str, str, str]:
    if HAS_CLERK:
        return ("clerk-secret-key", "clerk", "secret-key")
    return ("generic-secret-unquoted", "generic", kind_if_generic)


@dataclass(frozen=True)
class Row:
    what: str
    path: str
    template: str
    # (rule, provider, kind, line) of every finding, in order of position.
    expected: tuple[tuple[str, str, str, int], ...] | Callable[[], tuple[tuple[str, str, str, int], ...]]
    # Providers that must claim nothing in the text, whatever else is found.
    not_by: tuple[str, ...] = ()


def found_in(row: Row, detector: Detector = DETECTOR) -> list[Candidate]:
    text = expand(row.template, random.Random(row.what)).text
    return detector.detect(Document(path=row.path, content=text.encode(), reach=Reach.FILE))


ROWS = (
    Row(
        "Clerk secret key by its name is not a Stripe live key",
        ".env",
        "CLERK_SECRET_KEY=sk_live_{{random:alnum:42}}",
        lambda: ((*_clerk_or_generic("secret"), 1),),
        not_by=("stripe",),
    ),
    Row(
        "Clerk secret key longer than Clerk's rule takes is still not Stripe's",
        ".env.local",
        "CLERK_SECRET_KEY=sk_live_{{random:alnum:99}}",
        (("generic-secret-unquoted", "generic", "secret", 1),),
        not_by=("stripe",),
    ),
    Row(
        "Clerk test key in a compose file",
        "docker-compose.yml",
        "services:\n  web:\n    environment:\n      CLERK_SECRET_KEY: sk_test_{{random:alnum:42}}\n",
        lambda: ((*_clerk_or_generic("secret"), 4),),
        not_by=("stripe",),
    ),
    Row(
        "Clerk and Stripe keys side by side: each to its own provider",
        ".env",
        "CLERK_SECRET_KEY=sk_live_{{random:alnum:42}}\nSTRIPE_SECRET_KEY={{stripe:sk_live}}\n"
        "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=pk_live_{{random:alnum:32}}\n",
        # Clerk's publishable key is public by design: nobody reports it, and Stripe does not take it either.
        lambda: (
            (*_clerk_or_generic("secret"), 1),
            ("stripe-secret-key-live", "stripe", "secret-key-live", 2),
        ),
    ),
    Row(
        "a Stripe key in a file that also configures Clerk stays Stripe's",
        "src/server/billing.ts",
        "import { clerkClient } from '@clerk/nextjs/server';\nimport Stripe from 'stripe';\n\n"
        "const stripe = new Stripe('{{stripe:sk_live}}');\n",
        (("stripe-secret-key-live", "stripe", "secret-key-live", 4),),
        not_by=("clerk",),
    ),
    Row(
        "a Stripe key under its own name beside a Clerk publishable key",
        ".env",
        "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=pk_test_{{random:alnum:32}}\nSTRIPE_SECRET_KEY={{stripe:sk_test}}\n",
        (("stripe-secret-key-test", "stripe", "secret-key-test", 2),),
        not_by=("clerk",),
    ),
    Row(
        "WorkOS API key under the sk_test_ prefix",
        ".env",
        "WORKOS_API_KEY=sk_test_{{random:alnum:60}}\nWORKOS_CLIENT_ID=client_{{random:upper-alnum:26}}\n",
        (("generic-secret-unquoted", "generic", "api-key", 1),),
        not_by=("stripe",),
    ),
    Row(
        "Courier auth token (pk_test_ and 28 upper-case characters) by its name",
        ".env",
        "COURIER_AUTH_TOKEN=pk_test_{{random:upper-alnum:28}}",
        (("generic-secret-unquoted", "generic", "token", 1),),
        not_by=("stripe",),
    ),
    Row(
        "Courier token passed to its client: an upper-case body is not a Stripe key whatever the name",
        "src/notify.ts",
        'const courier = new CourierClient({ authorizationToken: "pk_test_{{random:upper-alnum:28}}" });\n',
        (("generic-secret-quoted", "generic", "token", 1),),
        not_by=("stripe",),
    ),
    Row(
        "Stripe publishable test key (mixed case) is still Stripe's",
        "src/checkout.ts",
        'const stripePromise = loadStripe("{{stripe:pk_test}}");\n',
        (("stripe-publishable-key-test", "stripe", "publishable-key-test", 1),),
    ),
    Row(
        "HUMANITY_API_KEY (40 characters) in a file that configures Cloudflare is not Cloudflare's",
        ".env",
        "CLOUDFLARE_ZONE_ID={{random:hex:32}}\nHUMANITY_API_KEY={{random:alnum:40}}\n",
        (("generic-secret-unquoted", "generic", "api-key", 2),),
        not_by=("cloudflare",),
    ),
    Row(
        "HUMANITY_API_KEY of 37 hex (a Cloudflare global key's length) is not Cloudflare's",
        "config/settings.py",
        '# shifts come from Humanity; DNS from cloudflare\nHUMANITY_API_KEY = "{{random:hex:37}}"\n',
        (("generic-secret-quoted", "generic", "api-key", 2),),
        not_by=("cloudflare",),
    ),
    Row(
        "Cloudflare's own token under its name stays Cloudflare's",
        ".env",
        "CLOUDFLARE_API_TOKEN={{cloudflare:legacy-token}}\n",
        (("cloudflare-legacy-token", "cloudflare", "api-token", 1),),
    ),
    Row(
        "a Temporal Cloud JWT beside a Supabase project URL is not Supabase's",
        ".env",
        "NEXT_PUBLIC_SUPABASE_URL=https://{{random:lower:20}}.supabase.co\n"
        'TEMPORAL_API_KEY={{jwt:{"iss":"temporal.io","sub":"svc-orders","account_id":"a1b2c"}}}\n',
        (("generic-jwt", "generic", "jwt", 2),),
        not_by=("supabase",),
    ),
    Row(
        "the Supabase anon key beside its project URL is Supabase's",
        "src/lib/supabase.ts",
        "const url = 'https://{{random:lower:20}}.supabase.co'\nconst anonKey = '{{jwt:{\"role\":\"anon\"}}}'\n",
        (("supabase-jwt-named", "supabase", "api-jwt", 2),),
    ),
    Row(
        "vercel_api_key names a Vercel token",
        ".env",
        "vercel_api_key={{vercel:legacy}}",
        (("vercel-legacy-token", "vercel", "legacy-token", 1),),
    ),
    Row(
        "Twilio_key names a Twilio auth token",
        "notify/sms.py",
        'Twilio_key = "{{twilio:token}}"',
        (("twilio-auth-token", "twilio", "auth-token", 1),),
    ),
)


def _expected(row: Row) -> tuple[tuple[str, str, str, int], ...]:
    return row.expected() if callable(row.expected) else row.expected


@pytest.mark.parametrize("row", ROWS, ids=[row.what for row in ROWS])
def test_attribution(row: Row) -> None:
    found = found_in(row)
    assert [(c.rule, c.provider, c.kind, c.location.line) for c in found] == list(_expected(row))
    assert not [c.rule for c in found if c.provider in row.not_by]


@pytest.mark.skipif(not HAS_CLERK, reason="Clerk's rule is not in the catalogue")
def test_clerk_secret_key_by_its_sdk_beside_it_is_clerks() -> None:
    """An unnamed `secretKey` is Clerk's when Clerk's SDK is imported beside it (Clerk's `near`), not Stripe's."""
    row = Row(
        "Clerk key passed to createClerkClient",
        "src/lib/clerk.ts",
        "import { createClerkClient } from '@clerk/backend';\n\n"
        "const clerk = createClerkClient({ secretKey: 'sk_live_{{random:alnum:42}}' });\n",
        (("clerk-secret-key", "clerk", "secret-key", 3),),
        not_by=("stripe",),
    )
    found = found_in(row)
    assert [(c.rule, c.provider, c.kind, c.location.line) for c in found] == list(_expected(row))
