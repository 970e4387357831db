"""Fake-but-format-valid secrets and the look-alikes that must survive redaction.

No full token is written literally in this file: every value is assembled at run time from a
prefix and seeded random characters, so scanners (GitHub push protection, our own pre-commit
hook) never see a credential in the source, and the values match no real account.

``SECRET_CASES`` pairs a realistic line with the exact substring that must be replaced and the
rule expected to name it; ``LOOKALIKES`` must come out of ``redact`` unchanged.
"""

from __future__ import annotations

import base64
import json
import random
import string
import uuid
from dataclasses import dataclass

_R = random.Random(20261121)

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
DIGITS = string.digits
ALNUM = LOWER + UPPER + DIGITS
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def rnd(alphabet: str, n: int) -> str:
    """Seeded random characters; retried until letters and digits are mixed (like real keys)."""
    while True:
        s = "".join(_R.choice(alphabet) for _ in range(n))
        classes = sum(
            any(c in cls for c in s)
            for cls in (LOWER, UPPER, DIGITS)
            if any(c in cls for c in alphabet)
        )
        wanted = sum(any(c in cls for c in alphabet) for cls in (LOWER, UPPER, DIGITS))
        if classes == wanted or n < 8:
            return s


def b64(n_bytes: int, urlsafe: bool = False) -> str:
    raw = _R.randbytes(n_bytes)
    return (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode()


def b64url_json(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def pem_block(kind: str, *, literal_newlines: bool = False, headers: str = "") -> str:
    body = b64(900)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    label = f"{kind} PRIVATE KEY" if kind else "PRIVATE KEY"
    if kind == "PGP":
        label = "PGP PRIVATE KEY BLOCK"
    parts = [f"-----BEGIN {label}-----", *([headers, ""] if headers else []), *lines]
    parts.append(f"-----END {label}-----")
    return ("\\n" if literal_newlines else "\n").join(parts)


@dataclass(frozen=True)
class Case:
    rule: str  # the rule that must name the redaction
    text: str  # a realistic line or block containing the secret
    secret: str  # the exact substring replaced by [REDACTED:<rule>]


def _cases() -> list[Case]:
    c: list[Case] = []

    def add(rule: str, template: str, secret: str) -> None:
        assert "{s}" in template
        c.append(Case(rule, template.replace("{s}", secret), secret))

    # Cloud providers
    aws_id = "AKIA" + rnd(UPPER + "234567", 16)
    add("aws-access-key-id", "aws_access_key_id = {s}\n", aws_id)
    add("aws-access-key-id", "found key {s} in the CI logs", "ASIA" + rnd(UPPER + "234567", 16))
    add("aws-secret-access-key", "aws_secret_access_key = {s}\n", rnd(B64, 40))
    add("aws-secret-access-key", '{"AccessKeyId": "x", "SecretAccessKey": "{s}"}', rnd(B64, 40))
    add("aws-session-token", "export AWS_SESSION_TOKEN={s}", rnd(B64, 300))
    add("gcp-api-key", 'const firebaseConfig = { apiKey: "{s}" };', "AIza" + rnd(B64URL, 35))
    add("gcp-api-key", "curl 'https://example.com/v1/models?key={s}'", "AIza" + rnd(B64URL, 35))
    sa_key = pem_block("", literal_newlines=True)  # the JSON value ends with a literal \n
    add(
        "private-key",
        '{"type": "service_account", "private_key_id": "' + rnd(HEX, 40) + '", '
        '"private_key": "{s}\\n", "client_email": "bot@proj.iam.gserviceaccount.com"}',
        sa_key,
    )
    add("google-oauth-client-secret", '"client_secret": "{s}",', "GOCSPX-" + rnd(B64URL, 28))
    add("google-oauth-token", "access_token: {s}", "ya29." + rnd(B64URL, 120))
    azure_key = b64(64)
    add(
        "azure-storage-key",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={s};EndpointSuffix=core.windows.net",
        azure_key,
    )
    add(
        "azure-shared-access-key",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={s}",
        b64(32),
    )
    sig = b64(32).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    add(
        "azure-sas-signature",
        "https://acme.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2026-01-01&sig={s}",
        sig,
    )
    ad = rnd(ALNUM, 3) + "8Q~" + rnd(ALNUM + "_~.-", 34)
    add("azure-ad-client-secret", "client secret is {s} (expires in 6 months)", ad)
    add("azure-ad-client-secret", "AZURE_CLIENT_SECRET={s}", rnd(ALNUM, 3) + "7Q~" + rnd(ALNUM, 34))
    add("heroku-api-key", "HEROKU_API_KEY={s}", str(uuid.UUID(int=_R.getrandbits(128), version=4)))
    add("heroku-api-key", "heroku token {s}", "HRKU-AA" + rnd(B64URL, 58))
    add("digitalocean-token", "doctl auth init -t {s}", "dop_v1_" + rnd(HEX, 64))
    add("databricks-token", "host = x\ntoken: {s}\n", "dapi" + rnd(HEX, 32))
    add("databricks-token", "use {s} for the workspace", "dapi" + rnd(HEX, 32))

    # Source hosting
    add(
        "github-token",
        "git clone https://x-access-token:{s}@github.com/o/r.git",
        "ghs_" + rnd(ALNUM, 36),
    )
    add("github-token", "GITHUB_TOKEN={s}", "ghp_" + rnd(ALNUM, 36))
    add("github-token", "gh auth login printed {s}", "gho_" + rnd(ALNUM, 36))
    add("github-token", "the refresh token was {s}.", "ghr_" + rnd(ALNUM, 36))
    add("github-token", "token: {s}", "github_pat_" + rnd(ALNUM, 22) + "_" + rnd(ALNUM, 59))
    add("gitlab-token", "PRIVATE-TOKEN: {s}", "glpat-" + rnd(B64URL, 20))
    add("gitlab-token", "deploy with {s}", "gldt-" + rnd(ALNUM, 20))
    add(
        "gitlab-token",
        "register the runner: gitlab-runner register -t {s}",
        "glrt-" + rnd(ALNUM, 20),
    )

    # Chat and messaging
    add(
        "slack-token",
        "SLACK_BOT_TOKEN={s}",
        "xoxb-" + rnd(DIGITS, 12) + "-" + rnd(DIGITS, 13) + "-" + rnd(ALNUM, 24),
    )
    add(
        "slack-token",
        "client.chat_postMessage(token='{s}')",
        "xoxp-"
        + rnd(DIGITS, 12)
        + "-"
        + rnd(DIGITS, 12)
        + "-"
        + rnd(DIGITS, 13)
        + "-"
        + rnd(HEX, 32),
    )
    add(
        "slack-webhook",
        "curl -X POST https://hooks.slack.com/services/{s} -d @msg.json",
        "T" + rnd(UPPER + DIGITS, 8) + "/B" + rnd(UPPER + DIGITS, 10) + "/" + rnd(ALNUM, 24),
    )
    bot_id = str(_R.randrange(10**17, 10**18))
    discord = (
        base64.b64encode(bot_id.encode()).decode().rstrip("=")
        + "."
        + rnd(B64URL, 6)
        + "."
        + rnd(B64URL, 38)
    )
    add("discord-bot-token", "client.run('{s}')", discord)
    add(
        "discord-webhook",
        "webhook: https://discord.com/api/webhooks/" + bot_id + "/{s}",
        rnd(B64URL, 68),
    )
    add(
        "telegram-bot-token",
        "bot = Bot('{s}')",
        str(_R.randrange(10**8, 10**9)) + ":AA" + rnd(B64URL, 33),
    )
    add("sendgrid-api-key", "SENDGRID_API_KEY={s}", "SG." + rnd(B64URL, 22) + "." + rnd(B64URL, 43))
    add("mailgun-api-key", "auth=('api', '{s}')", "key-" + rnd(HEX, 32))
    add("twilio-api-key", "client = Client('{s}', api_secret)", "SK" + rnd(HEX, 32))
    add("twilio-auth-token", "TWILIO_AUTH_TOKEN={s}", rnd(HEX, 32))

    # Payments, SaaS, AI
    add("stripe-key", "stripe.api_key = '{s}'", "sk_live_" + rnd(ALNUM, 24))
    add("stripe-key", "use {s} for refunds", "rk_live_" + rnd(ALNUM, 24))
    add("stripe-key", "STRIPE_KEY={s}", "sk_test_" + rnd(ALNUM, 24))
    add("stripe-webhook-secret", "endpoint secret {s}", "whsec_" + rnd(ALNUM, 32))
    add("openai-api-key", "OPENAI_API_KEY={s}", "sk-proj-" + rnd(B64URL, 156))
    add(
        "openai-api-key",
        "client = OpenAI(api_key='{s}')",
        "sk-" + rnd(ALNUM, 20) + "T3BlbkFJ" + rnd(ALNUM, 20),
    )
    add("sk-api-key", "DEEPSEEK key {s}", "sk-" + rnd(HEX, 32))
    add("anthropic-api-key", "ANTHROPIC_API_KEY={s}", "sk-ant-api03-" + rnd(B64URL, 93) + "AA")
    add("anthropic-api-key", "x-api-key: {s}", "sk-ant-admin01-" + rnd(B64URL, 93) + "AA")
    add("huggingface-token", "huggingface-cli login --token {s}", "hf_" + rnd(LOWER + UPPER, 34))
    add("npm-token", "//npm.example/:_authToken={s}", "npm_" + rnd(ALNUM, 36))
    add("pypi-token", "password = {s}", "pypi-AgEIcHlwaS5vcmc" + rnd(B64URL, 120))
    add("shopify-token", "X-Shopify-Access-Token: {s}", "shpat_" + rnd(HEX, 32))
    add("doppler-token", "DOPPLER_TOKEN={s}", "dp.st.prd." + rnd(ALNUM, 40))
    add("doppler-token", "doppler token {s}", "dp.pt." + rnd(ALNUM, 43))
    add("linear-api-key", "linear key {s}", "lin_api_" + rnd(ALNUM, 40))
    add(
        "atlassian-api-token",
        "JIRA token {s}",
        "ATATT3xFfGF0" + rnd(B64URL, 170) + "=" + rnd(HEX.upper(), 8),
    )
    add("atlassian-api-token", "JIRA_API_TOKEN={s}", rnd(ALNUM, 24))
    add("postman-api-key", "postman {s}", "PMAK-" + rnd(HEX, 24) + "-" + rnd(HEX, 34))
    add("new-relic-key", "NR key {s}", "NRAK-" + rnd(UPPER + DIGITS, 27))
    add("grafana-token", "grafana {s}", "glsa_" + rnd(ALNUM, 32) + "_" + rnd(HEX, 8))
    add("hashicorp-token", "VAULT_TOKEN={s}", "hvs." + rnd(B64URL, 90))
    add("supabase-token", "supabase login --token {s}", "sbp_" + rnd(HEX, 40))
    add("groq-api-key", "groq {s}", "gsk_" + rnd(ALNUM, 52))
    add("xai-api-key", "xai {s}", "xai-" + rnd(ALNUM, 80))
    add("perplexity-api-key", "pplx {s}", "pplx-" + rnd(ALNUM, 48))
    add("replicate-token", "REPLICATE_API_TOKEN={s}", "r8_" + rnd(ALNUM, 37))
    add("docker-hub-token", "docker login -u me -p {s}", "dckr_pat_" + rnd(B64URL, 27))
    add(
        "tailscale-key",
        "tailscale up --authkey {s}",
        "tskey-auth-" + rnd(ALNUM, 12) + "-" + rnd(ALNUM, 30),
    )
    add(
        "age-secret-key",
        "# created: now\n{s}\n",
        "AGE-SECRET-KEY-1" + rnd("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    )
    add("sentry-token", "SENTRY_AUTH_TOKEN={s}", "sntryu_" + rnd(HEX, 64))
    add("langsmith-api-key", "langsmith {s}", "lsv2_pt_" + rnd(HEX, 32) + "_" + rnd(HEX, 10))
    add("notion-token", "notion {s}", "ntn_" + rnd(DIGITS, 11) + rnd(ALNUM, 35))
    add("onepassword-token", "OP_SERVICE_ACCOUNT_TOKEN={s}", "ops_eyJ" + rnd(B64URL, 300))
    add("notion-token", "legacy notion {s}", "secret_" + rnd(ALNUM, 43))
    add("airtable-token", "airtable {s}", "pat" + rnd(ALNUM, 14) + "." + rnd(HEX, 64))
    add("firebase-fcm-key", "fcm {s}", "AAAA" + rnd(B64URL, 7) + ":APA91b" + rnd(B64URL, 134))
    add("google-oauth-token", "refresh: {s}", "1//0" + rnd(B64URL, 100))
    add("hashicorp-token", "terraform {s}", rnd(ALNUM, 14) + ".atlasv1." + rnd(B64URL, 67))
    add("gitlab-token", "runner {s}", "GR1348941" + rnd(B64URL, 20))
    add("grafana-token", "grafana cloud {s}", "glc_" + rnd(B64, 48))
    add("sentry-token", "sentry {s}", "sntrys_eyJ" + rnd(B64URL, 120))
    add(
        "slack-token",
        "app token {s}",
        "xapp-1-A" + rnd(UPPER + DIGITS, 10) + "-" + rnd(DIGITS, 13) + "-" + rnd(HEX, 64),
    )
    add("openai-api-key", "service account {s}", "sk-svcacct-" + rnd(B64URL, 100))
    add("linear-api-key", "linear oauth {s}", "lin_oauth_" + rnd(HEX, 64))

    # Generic shapes
    jwt = (
        b64url_json({"alg": "HS256", "typ": "JWT"})
        + "."
        + b64url_json({"sub": "1234567890", "name": "Jane", "iat": 1700000000})
        + "."
        + b64(32, urlsafe=True).rstrip("=")
    )
    add("jwt", "session cookie was {s}; it expires soon", jwt)
    add("private-key", "here is the key:\n{s}\nkeep it safe", pem_block("RSA"))
    add("private-key", "{s}", pem_block("OPENSSH"))
    add("private-key", "key file:\n{s}", pem_block("EC"))
    add("private-key", "gpg --export-secret-keys gave\n{s}\n", pem_block("PGP"))
    add("private-key", "{s}", pem_block("ENCRYPTED"))
    add(
        "private-key",
        "legacy:\n{s}\n",
        pem_block(
            "RSA", headers="Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC," + rnd(HEX, 32).upper()
        ),
    )
    add("private-key", '"key": "{s}"', pem_block("RSA", literal_newlines=True))
    truncated = pem_block("RSA").split("\n")
    add("private-key", "the output was cut:\n{s}", "\n".join(truncated[:6]))
    add("url-password", "DATABASE_URL=postgres://app:{s}@db.internal:5432/app", rnd(ALNUM, 16))
    add("url-password", "redis://:{s}@cache:6379/0", rnd(ALNUM, 20))
    add(
        "url-password",
        "git remote add origin https://me:{s}@git.example.com/r.git",
        "p4ss-" + rnd(ALNUM, 8),
    )
    add("url-password", "amqp://guest:{s}@mq.local//", "Pa@ss" + rnd(DIGITS, 4))

    # Assignments (.env, shell, JSON, YAML, code) redact the value only
    add("dotenv", "API_KEY={s}", rnd(ALNUM, 32))
    add("dotenv", 'DB_PASSWORD="{s}"', "s3cr3t!" + rnd(ALNUM, 6))
    add("dotenv", "export SECRET_TOKEN={s}", rnd(ALNUM, 40))
    add("dotenv", "POSTGRES_PASSWORD={s}", "swordfish-" + rnd(DIGITS, 3))
    add("dotenv", "password = '{s}'  # TODO remove", "hunter" + rnd(DIGITS, 2))
    add("dotenv", "spring.datasource.password={s}", "Tr0ub4dor&3")
    add("dotenv", "Server=db;User Id=sa;Password={s};", "Passw0rd" + rnd(DIGITS, 3))
    add("dotenv", "https://api.example.com/v1/items?access_token={s}&page=2", rnd(ALNUM, 30))
    add("dotenv", "os.environ['DB_PASSWORD'] = '{s}'", "hunter2x")
    add(
        "secret-assignment",
        '{"username": "admin", "password": "{s}"}',
        "correct horse battery staple",
    )
    add("secret-assignment", "password: {s}\n", "hunter2")
    add("secret-assignment", "POSTGRES_PASSWORD: {s}\n", "swordfish")
    add("secret-assignment", "client_secret: '{s}'", rnd(ALNUM, 24))
    add("secret-assignment", 'config = {"apiKey": "{s}"}', rnd(HEX, 32))
    add("secret-assignment", '{\\"password\\": \\"{s}\\"}', "esc4ped" + rnd(ALNUM, 4))
    add("secret-assignment", "<password>{s}</password>", "xml-" + rnd(ALNUM, 10))
    add("cli-secret-flag", "mytool deploy --api-key {s} --region eu", rnd(ALNUM, 24))
    add("cli-secret-flag", "psql --password {s}", "Hunter2" + rnd(DIGITS, 2))
    add("auth-header", "Authorization: Bearer {s}", rnd(ALNUM + "-._~", 40))
    add(
        "auth-header",
        "curl -H 'Authorization: Basic {s}' https://api.example.com",
        base64.b64encode(b"admin:" + rnd(ALNUM, 12).encode()).decode(),
    )
    add("auth-header", 'headers = {"Authorization": "token {s}"}', rnd(HEX, 40))
    add("bearer-token", "then call the API with Bearer {s} until it expires", rnd(ALNUM, 32))
    add("basic-auth-credentials", "curl -u admin:{s} https://jenkins.local/api", rnd(ALNUM, 14))
    return c


SECRET_CASES: list[Case] = _cases()


def _lookalikes() -> list[str]:
    sha = rnd(HEX, 40)
    uid = str(uuid.UUID(int=_R.getrandbits(128), version=4))
    png = b64(3000)
    return [
        # git objects and hashes
        f"commit {sha}\nAuthor: Jane <jane@example.com>",
        f"{sha[:7]} Fix the flaky test\n{rnd(HEX, 7)} Merge branch 'main'",
        f"git checkout {rnd(HEX, 12)} && git log -1 {rnd(HEX, 40)}",
        "Merge: 1a2b3c4 5d6e7f8",
        f"image: app@sha256:{rnd(HEX, 64)}",
        f'"integrity": "sha512-{b64(64)}"',
        f"<script src='app.js' integrity='sha384-{b64(48)}'></script>",
        f"md5 {rnd(HEX, 32)}  file.tar.gz",
        f'ETag: "{rnd(HEX, 32)}"',
        # UUIDs
        f"session_id={uid}",
        f'{{"id": "{uid}", "request_id": "{str(uuid.uuid4()).upper()}"}}',
        f"heroku apps:info shows app id {uid}",
        # base64 data that is not a secret
        f'<img src="data:image/png;base64,{png}" alt="chart">',
        f"background: url(data:image/png;base64,{b64(900)});",
        f"![diagram](data:image/svg+xml;base64,{b64(600)})",
        "echo dGVzdA== | base64 -d",
        # ordinary identifiers and code
        "api_key_name = 'OPENAI_API_KEY'",
        "password_field = form.fields['password']",
        "def get_token(self) -> str:\n    return self._token",
        'token = request.headers["Authorization"]',
        'auth = request.headers.get("Authorization", "")',
        'headers = {"Authorization": f"Bearer {token}"}',
        'headers = {"Authorization": "Bearer " + token}',
        'api_key = os.environ["OPENAI_API_KEY"]',
        "client = OpenAI(api_key=api_key)",
        "password = getpass.getpass()",
        "conn = psycopg.connect(host=host, password=password)",
        "secret = secrets.token_hex(32)",
        "key = lambda item: item[0]\nsorted(rows, key=len)",
        "if not password:\n    raise ValueError('missing')",
        "tokenizer.pad_token = tokenizer.eos_token",
        'eos_token = "</s>"\npad_token = "[PAD]"',
        "response = client.create(max_tokens=4096, model=model)",
        "MAX_TOKENS = 8192",
        '{"usage": {"prompt_tokens": 12, "completion_tokens": 345, "total_tokens": 357}}',
        "password: str\ntoken: Optional[str] = None",
        "private apiKey: string;",
        "password: SecretStr = Field(...)",
        "self.token = token",
        "for token in tokens:\n    print(token)",
        "export PWD=/home/jane/src\nOLDPWD=/tmp",
        "bypass=true compass=north keyboard=us",
        "key-value store; monkey=patch; hotkey: ctrl+k",
        # empty values and placeholders
        "PASSWORD=\nAPI_KEY=",
        "DB_PASSWORD=${DB_PASSWORD}",
        "API_KEY=<your-key>",
        "API_KEY=xxx\nSECRET=xxxxxxxxxxxxxxxx",
        "PASSWORD=changeme",
        "TOKEN=$GITHUB_TOKEN",
        'TOKEN="$(gh auth token)"',
        "password: ${{ secrets.DB_PASSWORD }}",
        "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
        'api_key: "your-api-key-here"',
        "OPENAI_API_KEY=sk-...",
        "OPENAI_API_KEY=sk-proj-****************",
        '"password": ""',
        "password = None",
        "token: null",
        "Password: required\nToken: 4096",
        "SECRET_KEY=[REDACTED:dotenv]",
        "password = '{{ vault_password }}'",
        # URLs without passwords, paths, versions
        "https://github.com/org/repo.git",
        "https://user@example.com/path?x=1",
        "ssh://git@github.com:22/org/repo.git and git@github.com:org/repo.git",
        "http://localhost:8080/api/v1/items?page=2&sort=desc",
        "http://[::1]:8080/ and http://127.0.0.1:5000",
        "https://example.com/oauth/token?grant_type=client_credentials",
        "https://example.invalid/lodash/-/lodash-4.17.21.tgz",
        "/home/jane/.ssh/id_rsa ~/.aws/credentials C:\\Users\\jane\\secrets.txt",
        "src/auth/token_store.py:42: in refresh_token",
        "SSH_KEY=~/.ssh/id_ed25519",
        "GOOGLE_APPLICATION_CREDENTIALS=/etc/gcp/sa.json",
        "version 1.2.3, 2.0.0-rc.1+build.5, ^4.17.21, ~=3.10",
        # public material
        "-----BEGIN PUBLIC KEY-----\n" + b64(200) + "\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\n" + b64(300) + "\n-----END CERTIFICATE-----",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + rnd(B64, 43) + " jane@laptop",
        "arn:aws:iam::123456789012:role/deploy",
        # prose
        "Set the API key in the environment, then pass the token to the client.",
        "The password must be at least 12 characters long.",
        "Bearer tokens expire after an hour; use a refresh token.",
        "Access keys start with AKIA and secret keys are 40 characters.",
        "Use the --token flag, or --password-file for a file.",
        "git push -u origin main; docker run -u 1000:1000 app",
        "task-0123456789abcdef0123456789abcdef finished; disk-4f3a2b1c9d8e7f6a5b4c3d2e1f0a9b8c",
        "hf_hub_download(repo_id=repo, filename=name); npm_config_cache=/tmp/npm",
        "The marker looks like [REDACTED:github-token] in stored text.",
        "postgres://app:[REDACTED:url-password]@db/app",
        "Größe: 42 — naïve café ☕ 密码很重要 🎉",
        "#ff00aa rgb(1, 2, 3) 00:1A:2B:3C:4D:5E fe80::1ff:fe23:4567:890a",
        # found in real code while tuning the rules (Python's own library)
        "aws_access_key_id='foo',\naws_secret_access_key='bar',",
        "    'pass': 'The \"pass\" statement\\n'",
        "def f(input:TokenStream=None, offendingToken:Token=None):",
        "    :type credentials: :py:class:`~botocore.credentials.Credentials`",
        "authorization = base64.decodebytes(authorization)",
        "    'CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN': 'h',",
        "LAMBDA_TASK_ROOT_KEY = 'LAMBDA_TASK_ROOT'",
        f'"AWS::IAM::AccessKey": "{rnd(HEX, 16)}",',
        "if options.token:  # need to show token",
        # templates and documentation
        'url = f"postgresql://{user}:{password}@{host}/{db}"',
        "BROKER = 'amqp://guest:%(password)s@localhost//'",
        "A key file starts with -----BEGIN RSA PRIVATE KEY----- and ends with the END line.",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----",
    ]


LOOKALIKES: list[str] = _lookalikes()

_PROSE = (
    "We refactored the token refresh flow so the client retries once before failing.",
    "The password reset email now links to the settings page.",
    "Run the migration, then restart the worker; the secret manager is read at start-up.",
    "I pushed the branch and opened a pull request for review.",
    "Les clés d'API sont lues depuis l'environnement — pas depuis le dépôt. 🎉",
    "The key insight: cache the embeddings by content hash, not by path.",
)


def clean_text(size: int, seed: int = 0) -> str:
    """About ``size`` characters of transcript-like text (prose, code, logs) with no secret."""
    rng = random.Random(seed)
    pool = [*LOOKALIKES, *_PROSE]
    block: list[str] = []
    n = 0
    while n < min(size, 1_000_000):
        piece = rng.choice(pool)
        block.append(piece)
        n += len(piece) + 1
    chunk = "\n".join(block) + "\n"
    text = (chunk * (size // len(chunk) + 1))[:size]
    return text[: text.rfind("\n") + 1]  # never cut a line (a cut placeholder may look real)


def dense_text(size: int, seed: int = 0) -> str:
    """About ``size`` characters where roughly every other line carries a secret."""
    rng = random.Random(seed)
    parts: list[str] = []
    n = 0
    while n < size:
        piece = rng.choice(SECRET_CASES).text if rng.random() < 0.5 else rng.choice(_PROSE)
        parts.append(piece)
        n += len(piece) + 1
    return "\n".join(parts)[:size]
