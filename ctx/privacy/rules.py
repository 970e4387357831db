"""The table of token-shaped secrets: credentials that carry their own vendor prefix.

Each rule is a bytes regex plus an *anchor*: a short regex (starting with a literal, so the scan
is fast) that every match contains, at most ``reach`` bytes after the match starts. The engine in
:mod:`ctx.privacy.secrets` scans each distinct anchor once over the long runs of token characters
and runs the full patterns only around its hits, so a rule costs almost nothing on clean text.
Rules that share an anchor (``sk-`` for Anthropic, OpenAI and compatible keys) share the scan.

Patterns are modelled on the public rule sets of gitleaks, detect-secrets and trufflehog (prefix,
alphabet, length), written here independently and tightened where a look-alike (git SHAs, UUIDs,
base64 blobs, identifiers) could collide. Rules whose secret only shows by context
(``PASSWORD=...``, ``Authorization:``, passwords in URLs, PEM blocks) live in
:mod:`ctx.privacy.assign` and :mod:`ctx.privacy.secrets`.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

_ALNUM_SET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class TokenRule:
    """One vendor token format. The regex is compiled when first used: most texts never reach
    a rule's anchor, and compiling the whole table costs more than a short command takes."""

    name: str
    source: bytes  # the regex
    anchor: str  # regex found in every match, starting at most `reach` bytes after its start
    shape: str  # human-readable shape for the docs, never a real-looking token
    reach: int = 0
    group: int = 0  # the regex group holding the value to redact
    check: Callable[[bytes], bool] | None = None  # extra validation of the value
    # Bytes that may not precede a match (checked in Python so the regex keeps its literal
    # prefix, which is what makes the scan fast).
    left: frozenset[int] = frozenset()

    @property
    def pattern(self) -> re.Pattern[bytes]:
        return _compiled(self.source)


@cache
def _compiled(source: bytes) -> re.Pattern[bytes]:
    return re.compile(source)


def entropy(value: bytes) -> float:
    """Shannon entropy in bits per character: placeholders like ``xxxx`` score near zero."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _random_looking(min_bits: float) -> Callable[[bytes], bool]:
    def check(value: bytes) -> bool:
        return entropy(value) >= min_bits

    return check


def _mixed_case(value: bytes) -> bool:
    """Real Hugging Face / npm style tokens mix cases; identifiers like hf_model_loader do not."""
    return value != value.lower() and value != value.upper() and entropy(value) >= 3.0


def _discord_bot(value: bytes) -> bool:
    """The first segment of a Discord bot token is the base64 of the bot's numeric id."""
    first = value.split(b".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(first + b"=" * (-len(first) % 4))
    except (binascii.Error, ValueError):
        return False
    return decoded.isdigit() and 15 <= len(decoded) <= 21


def _rule(
    name: str,
    pattern: str,
    anchor: str,
    shape: str,
    reach: int = 0,
    group: int = 0,
    check: Callable[[bytes], bool] | None = None,
    left: bytes = _ALNUM_SET,
) -> TokenRule:
    return TokenRule(
        name=name,
        source=pattern.encode(),
        anchor=anchor,
        shape=shape,
        reach=reach,
        group=group,
        check=check,
        left=frozenset(left),
    )


# Right boundary for fixed-length tokens.
_R = r"(?![A-Za-z0-9])"
_RW = r"(?![A-Za-z0-9_-])"

TOKEN_RULES: tuple[TokenRule, ...] = (
    # Cloud providers
    _rule(
        "aws-access-key-id",
        r"A(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])[A-Z2-7]{16}" + _R,
        r"A(?:KIA|SIA|BIA|CCA|3T)",
        "AKIA (or ASIA, ABIA, ACCA) + 16 of A-Z2-7",
        check=_random_looking(2.5),
    ),
    _rule("gcp-api-key", r"AIza[0-9A-Za-z_-]{35}" + _RW, "AIza", "AIza + 35 of A-Za-z0-9_-"),
    _rule(
        "google-oauth-client-secret",
        r"GOCSPX-[0-9A-Za-z_-]{28}" + _RW,
        "GOCSPX-",
        "GOCSPX- + 28 of A-Za-z0-9_-",
    ),
    _rule(
        "google-oauth-token",
        r"ya29\.[0-9A-Za-z_-]{30,}",
        r"ya29\.",
        "ya29. + 30+ chars (access token)",
        check=_random_looking(3.0),
    ),
    _rule(
        "google-oauth-token",
        r"1//0[0-9A-Za-z_-]{40,}",
        "1//0",
        "1//0 + 40+ chars (refresh token)",
        check=_random_looking(3.0),
    ),
    _rule(
        "azure-storage-key",
        r"AccountKey=([A-Za-z0-9+/]{86}==)",
        "Key=",
        "AccountKey=<86 base64 chars>== in a connection string",
        reach=7,
        group=1,
    ),
    _rule(
        "azure-shared-access-key",
        r"SharedAccessKey=([A-Za-z0-9+/]{42,44}=)",
        "Key=",
        "SharedAccessKey=<43 base64 chars>= (Service Bus, Event Hubs)",
        reach=12,
        group=1,
    ),
    _rule(
        "azure-sas-signature",
        r"sig=((?:[A-Za-z0-9+/]|%2[BbFf]){40,}(?:=|%3[Dd]){0,2})",
        "sig=",
        "sig=<url-encoded base64> in a SAS URL",
        group=1,
        check=_random_looking(3.5),
        left=_ALNUM_SET + b"_",
    ),
    _rule(
        "azure-ad-client-secret",
        r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
        "Q~",
        "3 chars + digit + Q~ + 31-34 chars",
        reach=4,
        check=_random_looking(3.0),
        left=_ALNUM_SET + b"_~.",
    ),
    _rule(
        "heroku-api-key",
        r"HRKU-[A-Za-z0-9_-]{58,}",
        "HRKU-",
        "HRKU- + 58+ chars (UUID-style keys: by context, see the assignment rules)",
    ),
    _rule(
        "digitalocean-token", r"do[opr]_v1_[a-f0-9]{64}" + _R, "_v1_", "dop_v1_ + 64 hex", reach=3
    ),
    _rule(
        "databricks-token",
        r"dapi[a-f0-9]{32}(?:-[0-9]+)?" + _R,
        r"dapi[a-f0-9]{8}",
        "dapi + 32 hex",
        check=_random_looking(3.0),
    ),
    _rule(
        "hashicorp-token",
        r"hv[sbr]\.[A-Za-z0-9_-]{24,}",
        r"hv[sbr]\.",
        "hvs./hvb. + 24+ chars (Vault)",
        check=_random_looking(3.0),
    ),
    _rule(
        "hashicorp-token",
        r"[a-zA-Z0-9]{14}\.atlasv1\.[a-zA-Z0-9_=-]{60,}",
        r"\.atlasv1\.",
        "<14>.atlasv1.<60+> (Terraform Cloud)",
        reach=14,
    ),
    # Source hosting and CI
    _rule(
        "github-token",
        r"(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82,})" + _R,
        r"g(?:h[pousr]_|ithub_pat_)",
        "ghp_/gho_/ghu_/ghs_/ghr_ + 36 alnum; github_pat_ + 82 of A-Za-z0-9_",
        check=_random_looking(3.0),
    ),
    _rule(
        "gitlab-token",
        r"gl(?:pat|dt|rt|ptt|cbt|ft|imt|agent|oas|soat|ffct)-[0-9A-Za-z_.-]{20,}",
        r"gl(?:pat|dt|rt|ptt|cbt|ft|imt|agent|oas|soat|ffct|sa|c)[_-]",
        "glpat-/gldt-/glrt-/glptt-/glcbt-/... + 20+ chars",
        check=_random_looking(3.0),
    ),
    _rule(
        "gitlab-token",
        r"GR1348941[0-9A-Za-z_-]{20,}",
        "GR1348941",
        "GR1348941 + 20 chars (runner registration)",
        check=_random_looking(3.0),
    ),
    _rule(
        "grafana-token",
        r"(?:glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2})",
        r"gl(?:pat|dt|rt|ptt|cbt|ft|imt|agent|oas|soat|ffct|sa|c)[_-]",
        "glsa_<32>_<8 hex>; glc_ + 32+ base64",
    ),
    _rule(
        "docker-hub-token",
        r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}" + _RW,
        "dckr_",
        "dckr_pat_ / dckr_oat_ + 27+ chars",
    ),
    _rule("npm-token", r"npm_[A-Za-z0-9]{36}" + _R, "npm_", "npm_ + 36 alnum", check=_mixed_case),
    _rule(
        "pypi-token",
        r"pypi-AgE[A-Za-z0-9_-]{50,}",
        "pypi-AgE",
        "pypi-AgE + 50+ base64url chars (macaroon)",
    ),
    _rule(
        "postman-api-key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + _R, "AK-", "PMAK-<24>-<34 hex>", 2
    ),
    _rule("new-relic-key", r"NRAK-[A-Z0-9]{27}" + _R, "AK-", "NRAK- + 27 of A-Z0-9", 2),
    _rule(
        "sentry-token",
        r"(?:sntrys_eyJ[A-Za-z0-9+/=_-]{50,}|sntryu_[a-f0-9]{64})",
        r"sntry[su]_",
        "sntrys_eyJ... (org token); sntryu_ + 64 hex",
    ),
    # Chat and messaging
    _rule(
        "slack-token",
        r"(?:xox[abposr]-[0-9A-Za-z-]{20,}|xoxe\.xox[bp]-[0-9A-Za-z-]{20,}"
        r"|xapp-[0-9]-[A-Z0-9]{8,}-[0-9]{8,}-[a-z0-9]{32,})",
        r"x(?:ox|app-|ai-)",
        "xoxb-/xoxp-/xoxa-/xoxr-/xoxs- + 20+ chars; xapp-1-...",
        check=_random_looking(3.0),
    ),
    _rule(
        "slack-webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/_-]{20,})",
        r"hooks\.slack\.com/",
        "https://hooks.slack.com/services/<T...>/<B...>/<secret> (path redacted)",
        group=1,
    ),
    _rule(
        "discord-bot-token",
        r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}" + _RW,
        r"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27}",
        "<base64 bot id>.<6 chars>.<27+ chars> (id segment checked by decoding)",
        reach=28,
        check=_discord_bot,
    ),
    _rule(
        "discord-webhook",
        r"discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/([A-Za-z0-9_-]{60,})",
        "/api/webhooks/",
        "https://discord.com/api/webhooks/<id>/<secret> (secret redacted)",
        reach=15,
        group=1,
    ),
    _rule(
        "telegram-bot-token",
        r"[0-9]{8,10}:AA[0-9A-Za-z_-]{33}" + _RW,
        ":AA",
        "<8-10 digits>:AA + 33 chars",
        reach=10,
        left=b"0123456789",
    ),
    _rule(
        "sendgrid-api-key",
        r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _RW,
        r"SG\.",
        "SG.<22 chars>.<43 chars>",
    ),
    _rule(
        "mailgun-api-key",
        r"key-[0-9a-f]{32}" + _R,
        r"key-[0-9a-f]{8}",
        "key- + 32 hex",
        check=_random_looking(3.0),
        left=_ALNUM_SET + b"_-",
    ),
    _rule(
        "mailgun-api-key",
        r"[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}(?![A-Za-z0-9-])",
        r"-[0-9a-f]{8}-[0-9a-f]{8}(?![A-Za-z0-9-])",
        "<32 hex>-<8 hex>-<8 hex> (current private API keys)",
        reach=32,
        check=_random_looking(3.0),
        left=_ALNUM_SET + b"-",
    ),
    _rule(
        "mailchimp-api-key",
        r"[0-9a-f]{32}-us[0-9]{1,2}" + _R,
        r"-us[0-9]",
        "<32 hex>-us<datacenter>",
        reach=32,
        check=_random_looking(3.0),
    ),
    _rule(
        "twilio-api-key",
        r"SK[0-9a-fA-F]{32}" + _R,
        r"SK[0-9a-fA-F]{8}",
        "SK + 32 hex",
        check=_random_looking(3.0),
    ),
    # Payments, SaaS, AI providers
    _rule(
        "stripe-key",
        r"[rs]k_(?:live|test|prod)_[0-9A-Za-z]{20,}" + _R,
        r"k_(?:live|test|prod)_",
        "sk_live_/rk_live_/sk_test_ + 20+ alnum",
        reach=1,
        check=_random_looking(3.0),
    ),
    _rule(
        "stripe-webhook-secret",
        r"whsec_[A-Za-z0-9+/]{32,}={0,2}",
        "whsec_",
        "whsec_ + 32+ base64 chars",
    ),
    _rule(
        "anthropic-api-key",
        r"sk-ant-[a-z]{2,8}[0-9]{2}-[A-Za-z0-9_-]{32,}",
        "sk-",
        "sk-ant-api03-/admin01-/oat01- + 32+ chars",
    ),
    _rule(
        "openai-api-key",
        r"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"
        + _R
        + ")",
        "sk-",
        "sk-proj-/sk-svcacct-/sk-admin- + 20+ chars; legacy sk-...T3BlbkFJ...",
        check=_random_looking(3.0),
    ),
    _rule(
        "sk-api-key",
        r"sk-[A-Za-z0-9]{32,}" + _R,
        "sk-",
        "sk- + 32+ alnum (older OpenAI keys, DeepSeek and other compatible APIs)",
        check=_random_looking(3.0),
    ),
    _rule(
        "huggingface-token",
        r"hf_[A-Za-z0-9]{34,40}" + _R,
        "hf_",
        "hf_ + 34 letters/digits (mixed case)",
        check=_mixed_case,
    ),
    _rule(
        "replicate-token", r"r8_[A-Za-z0-9]{37}" + _R, "r8_", "r8_ + 37 alnum", check=_mixed_case
    ),
    _rule("groq-api-key", r"gsk_[A-Za-z0-9]{52}" + _R, "gsk_", "gsk_ + 52 alnum"),
    _rule("xai-api-key", r"xai-[A-Za-z0-9]{80}" + _R, r"x(?:ox|app-|ai-)", "xai- + 80 alnum"),
    _rule("perplexity-api-key", r"pplx-[A-Za-z0-9]{48}" + _R, "pplx-", "pplx- + 48 alnum"),
    _rule(
        "langsmith-api-key",
        r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + _R,
        "lsv2_",
        "lsv2_pt_<32 hex>_<10 hex>",
    ),
    _rule(
        "shopify-token",
        r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _R,
        "shp",
        "shpat_/shpca_/shppa_/shpss_ + 32 hex",
    ),
    _rule(
        "doppler-token",
        r"dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9_-]{40,}",
        r"dp\.",
        "dp.pt./dp.st./dp.sa./dp.ct. + 40+ chars",
    ),
    _rule(
        "linear-api-key",
        r"(?:lin_api_[A-Za-z0-9]{40}|lin_oauth_[a-f0-9]{64})" + _R,
        "lin_",
        "lin_api_ + 40 alnum",
    ),
    _rule(
        "atlassian-api-token",
        r"AT(?:ATT|CTT)3[A-Za-z0-9_=-]{100,}",
        r"AT[AC]TT3",
        "ATATT3 + 100+ chars",
    ),
    _rule("supabase-token", r"sbp_[a-f0-9]{40}" + _R, "sbp_", "sbp_ + 40 hex"),
    _rule(
        "tailscale-key",
        r"tskey-[a-z]+-[A-Za-z0-9]{8,}-[A-Za-z0-9]{16,}",
        "tskey-",
        "tskey-auth-<id>-<secret>",
    ),
    _rule(
        "age-secret-key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        "AGE-SECRET-KEY-1",
        "AGE-SECRET-KEY-1 + 58 bech32 chars",
    ),
    _rule(
        "notion-token",
        r"ntn_[0-9]{11}[A-Za-z0-9]{35}" + _R,
        "ntn_",
        "ntn_ + 11 digits + 35 alnum",
        check=_mixed_case,
    ),
    _rule(
        "notion-token",
        r"secret_[A-Za-z0-9]{43}" + _R,
        r"secret_[A-Za-z0-9]{11}",
        "secret_ + 43 alnum (older integration tokens)",
        check=_mixed_case,
    ),
    _rule(
        "airtable-token",
        r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + _R,
        r"pat[A-Za-z0-9]{14}\.",
        "pat<14>.<64 hex>",
    ),
    _rule(
        "onepassword-token",
        r"ops_eyJ[A-Za-z0-9+/=_-]{50,}",
        "eyJ",
        "ops_eyJ... (1Password service account)",
        reach=4,
    ),
    _rule(
        "jwt",
        r"eyJ[A-Za-z0-9_-]{5,}\.ey[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}",
        "eyJ",
        "eyJ<header>.ey<payload>.<signature>",
    ),
    _rule(
        "firebase-fcm-key",
        r"AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{134}",
        ":APA91b",
        "AAAA<7>:APA91b<134> (FCM server key)",
        reach=11,
    ),
    # More current formats (vendor docs and public rule sets)
    _rule("openrouter-api-key", r"sk-or-v1-[0-9a-f]{64}" + _R, "sk-", "sk-or-v1- + 64 hex"),
    _rule(
        "square-token",
        r"sq0(?:atp-[0-9A-Za-z_-]{22}|csp-[0-9A-Za-z_-]{43})" + _RW,
        "sq0",
        "sq0atp- + 22 / sq0csp- + 43 chars",
    ),
    _rule(
        "planetscale-token",
        r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,64}",
        "pscale_",
        "pscale_tkn_ / pscale_pw_ / pscale_oauth_ + 32-64 chars",
    ),
    _rule("figma-token", r"figd_[A-Za-z0-9_-]{40,}", "figd_", "figd_ + 40+ chars"),
    _rule("contentful-token", r"CFPAT-[A-Za-z0-9_-]{43}" + _RW, "CFPAT-", "CFPAT- + 43 chars"),
    _rule(
        "bitbucket-app-password",
        r"ATBB[A-Za-z0-9_=.-]{32,}",
        "ATBB",
        "ATBB + 32+ chars",
        check=_random_looking(3.0),
    ),
    _rule(
        "render-api-key", r"rnd_[A-Za-z0-9]{32}" + _R, "rnd_", "rnd_ + 32 alnum", check=_mixed_case
    ),
    _rule(
        "resend-api-key",
        r"re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24}" + _R,
        "re_",
        "re_<8>_<24>",
        check=_mixed_case,
    ),
    _rule(
        "brevo-api-key",
        r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}" + _R,
        "xkeysib-",
        "xkeysib-<64 hex>-<16>",
    ),
    _rule(
        "mapbox-secret-token",
        r"sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}",
        "eyJ",
        "sk.eyJ<...>.<...> (secret scope; pk. tokens are public)",
        reach=3,
    ),
    _rule(
        "huggingface-token",
        r"api_org_[A-Za-z0-9]{34}" + _R,
        "api_org_",
        "api_org_ + 34 alnum (organization token)",
        check=_mixed_case,
    ),
    _rule("pinecone-api-key", r"pcsk_[A-Za-z0-9_]{40,}", "pcsk_", "pcsk_ + 40+ chars"),
    _rule(
        "supabase-token",
        r"sb_secret_[A-Za-z0-9_-]{20,}",
        "sb_secret_",
        "sb_secret_ + 20+ chars (new secret keys)",
    ),
    _rule("neon-api-key", r"napi_[a-z0-9]{60,}" + _R, "napi_", "napi_ + 60+ chars"),
    _rule("pulumi-token", r"pul-[a-f0-9]{40}" + _R, "pul-", "pul- + 40 hex"),
    _rule(
        "dynatrace-token",
        r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}" + _R,
        r"dt0c01\.",
        "dt0c01.<24>.<64>",
    ),
    _rule(
        "alibaba-access-key-id",
        r"LTAI[A-Za-z0-9]{20}" + _R,
        "LTAI",
        "LTAI + 20 alnum",
        check=_mixed_case,
    ),
    _rule(
        "elevenlabs-api-key",
        r"sk_[a-f0-9]{48}" + _R,
        "sk_",
        "sk_ + 48 hex",
        check=_random_looking(3.0),
    ),
    _rule(
        "flyio-token",
        r"fm[12]_[A-Za-z0-9+/=_-]{40,}",
        r"fm[12]_",
        "fm1_ / fm2_ + 40+ chars",
        check=_mixed_case,
    ),
    _rule(
        "netlify-token", r"nfp_[A-Za-z0-9]{36}" + _R, "nfp_", "nfp_ + 36 alnum", check=_mixed_case
    ),
)

__all__ = ["TOKEN_RULES", "TokenRule", "entropy"]
