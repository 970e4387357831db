"""A second secrets corpus, written for issue 11: secrets that reached git, and look-alikes.

Independent of ``secrets_corpus.py`` (which checks exact markers rule by rule): every ``Kind``
here is a realistic snippet and the ``needle`` that must not survive *anywhere* (working tree,
``git log -p --all``, decoded CRDT logs) once the snippet went through an entry point. The
classes follow the issue: PEM bodies with any whitespace, credential flags of common CLIs,
config-file credentials, payment cards, secrets told in prose, cookies, current vendor formats.
``LOOKALIKES`` must pass :func:`ctx.privacy.redact` unchanged.

No credential is written literally: values are built at run time from seeded random characters.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

_R = random.Random(11_2026)
LOWER, UPPER, DIGITS = string.ascii_lowercase, string.ascii_uppercase, string.digits
ALNUM = LOWER + UPPER + DIGITS
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"


def rnd(alphabet: str, n: int) -> str:
    while True:
        s = "".join(_R.choice(alphabet) for _ in range(n))
        kinds = [cls for cls in (LOWER, UPPER, DIGITS) if any(c in cls for c in alphabet)]
        if n < 8 or all(any(c in cls for c in s) for cls in kinds):
            return s


def password() -> str:
    """A human-made password: words, digits, symbols (like Zx81!qP@ss-2024w)."""
    return (
        rnd(UPPER, 1) + rnd(LOWER, 1) + rnd(DIGITS, 2) + "!" + rnd(LOWER, 4) + "-" + rnd(DIGITS, 4)
    )


def b64(n: int) -> str:
    return base64.b64encode(_R.randbytes(n)).decode()


def pem(label: str, sep: str = "\n", headers: str = "") -> tuple[str, str]:
    """A PEM block whose line breaks are ``sep``; returns (block, one body line as needle)."""
    body = b64(1190)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    parts = [f"-----BEGIN {label}-----", *([headers] if headers else []), *lines]
    parts.append(f"-----END {label}-----")
    return sep.join(parts), lines[3]


def luhn_complete(prefix: str, length: int) -> str:
    digits = prefix + "".join(_R.choice(DIGITS) for _ in range(length - len(prefix) - 1))
    for check in DIGITS:
        cand = digits + check
        total = 0
        for k, ch in enumerate(reversed(cand)):
            d = int(ch)
            if k % 2:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        if total % 10 == 0:
            return cand
    raise AssertionError("unreachable")


def luhn_fail(prefix: str, length: int) -> str:
    ok = luhn_complete(prefix, length)
    return ok[:-1] + str((int(ok[-1]) + 1) % 10)


def groups(number: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(number[i : i + n])
        i += n
    if i < len(number):
        out.append(number[i:])
    return sep.join(out)


@dataclass(frozen=True)
class Kind:
    name: str
    text: str
    needle: str  # must not appear anywhere after the text went through ctx


def _kinds() -> list[Kind]:
    k: list[Kind] = []

    def add(name: str, template: str, needle: str) -> None:
        assert "{s}" in template, name
        k.append(Kind(name, template.replace("{s}", needle), needle))

    def block(name: str, text: str, needle: str) -> None:
        k.append(Kind(name, text, needle))

    # PEM private keys with any whitespace (echo $KEY joins lines with spaces)
    for label in ("RSA PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"):
        text, needle = pem(label, " ")
        block(f"pem-spaced-{label.split()[0].lower()}", f"$ echo $KEY\n{text}\n", needle)
    text, needle = pem("RSA PRIVATE KEY", "")
    block("pem-no-whitespace", f"key={text}", needle)
    text, needle = pem("RSA PRIVATE KEY", "\t")
    block("pem-tabs", text, needle)
    text, needle = pem("PRIVATE KEY", "\\n")
    block("pem-json-escaped", '{"private_key": "' + text + '\\n"}', needle)
    text, needle = pem("RSA PRIVATE KEY", "\r\n")
    block("pem-crlf", text, needle)
    text, needle = pem(
        "RSA PRIVATE KEY",
        " ",
        headers="Proc-Type: 4,ENCRYPTED DEK-Info: AES-128-CBC," + rnd(HEX, 32).upper(),
    )
    block("pem-encrypted-spaced", text, needle)
    text, needle = pem("ENCRYPTED PRIVATE KEY", "  ")
    block("pem-double-spaced", text, needle)
    text, needle = pem("DSA PRIVATE KEY", "\n")
    truncated = "\n".join(text.split("\n")[:8])
    block("pem-truncated", f"the output was cut:\n{truncated}", needle)

    # base64 of a PEM key: kubeconfig, Kubernetes secrets
    key64 = base64.b64encode(pem("RSA PRIVATE KEY")[0].encode()).decode()
    add(
        "kubeconfig-client-key-data",
        "users:\n- name: admin\n  user:\n    client-key-data: {s}\n",
        key64,
    )
    key64b = base64.b64encode(pem("EC PRIVATE KEY")[0].encode()).decode()
    add("k8s-secret-tls-key", "data:\n  tls.crt: LS0tCg==\n  tls.key: {s}\n", key64b)

    # credential flags of common CLIs
    for name, template in (
        ("mysql-p-glued", "mysql -u root -p{s} -h db.internal shop"),
        ("mysql-password-eq", "mysql --user=app --password={s} shop < dump.sql"),
        ("mysqldump-p", "mysqldump -uroot -p{s} --all-databases > all.sql"),
        ("mariadb-p", "mariadb -h 10.0.0.5 -u admin -p{s}"),
        ("docker-login-p", "docker login -u deploy -p {s} registry.example.com"),
        ("docker-login-password", "docker login registry.example.com --username ci --password {s}"),
        ("podman-login-p", "podman login quay.io -u bot -p {s}"),
        ("helm-registry-login", "helm registry login ghcr.io -u me -p {s}"),
        ("keytool-storepass", "keytool -list -keystore app.jks -storepass {s}"),
        ("keytool-keypass", "keytool -genkeypair -alias app -keypass {s} -keystore k.jks"),
        ("jarsigner-storepass", "jarsigner -keystore rel.jks -storepass {s} app.apk release"),
        ("openssl-passin", "openssl rsa -in key.pem -passin pass:{s} -out plain.pem"),
        ("openssl-passout", "openssl genrsa -aes256 -passout pass:{s} -out k.pem 4096"),
        ("openssl-enc-k", "openssl enc -aes-256-cbc -salt -in a.txt -out a.enc -k {s}"),
        ("redis-cli-a", "redis-cli -h cache -p 6379 -a {s} ping"),
        ("redis-cli-pass", "redis-cli --user app --pass {s} info"),
        ("mongosh-p", "mongosh --host db -u admin -p {s} --authenticationDatabase admin"),
        ("mongodump-password", "mongodump --username backup --password {s} --out /backup"),
        (
            "ldapsearch-w",
            'ldapsearch -x -D "cn=admin,dc=example,dc=org" -w {s} -b dc=example,dc=org',
        ),
        ("sqlcmd-P", "sqlcmd -S tcp:db,1433 -U sa -P {s} -Q 'SELECT 1'"),
        ("sshpass-p", "sshpass -p {s} ssh deploy@10.0.0.7 uptime"),
        ("htpasswd-b", "htpasswd -b /etc/nginx/.htpasswd alice {s}"),
        ("htpasswd-nb", "htpasswd -nbB bob {s}"),
        ("smbclient-U", "smbclient //fs/share -U corp/alice%{s} -c ls"),
        ("az-login-p", "az login -u ops@example.com -p {s}"),
        ("curl-u", "curl -u admin:{s} https://jenkins.local/api/json"),
        ("npm-config-authtoken", "npm config set //npm.pkg.example.com/:_authToken {s}"),
        ("aws-configure-set", "aws configure set aws_secret_access_key {s} --profile prod"),
        ("pgpassword-env", "PGPASSWORD={s} psql -h db -U app shop"),
        ("wget-password", "wget --user=ci --password={s} https://files.example.com/a.tgz"),
        ("java-d-password", "java -Djavax.net.ssl.keyStorePassword={s} -jar app.jar"),
        ("generic-password-flag", "deploy-tool push --password {s} --region eu"),
    ):
        add(name, template, password())

    # config files
    add(
        "docker-config-auth",
        '{"auths": {"https://index.docker.io/v1/": {"auth": "{s}"}}}',
        base64.b64encode(f"deploy:{password()}".encode()).decode(),
    )
    add(
        "npmrc-auth",
        "registry=https://npm.example.com/\n_auth={s}\nalways-auth=true",
        base64.b64encode(f"ci:{password()}".encode()).decode(),
    )
    add("npmrc-authtoken", "//npm.example.com/:_authToken={s}", rnd(ALNUM, 40))
    add("kubeconfig-token", "users:\n- name: ci\n  user:\n    token: {s}\n", rnd(ALNUM + "._-", 60))
    add("netrc-one-line", "machine api.example.com login alice password {s}\n", password())
    add("netrc-multi-line", "machine git.example.com\n  login bob\n  password {s}\n", password())
    add("pypirc-password", "[pypi]\nusername = __token__\npassword = {s}\n", password())
    add("git-credentials", "https://alice:{s}@git.example.com\n", password())
    add("dotenv-line", "DATABASE_PASSWORD={s}\n", password())
    add("yaml-client-secret", "oauth:\n  client_id: web\n  client_secret: {s}\n", rnd(ALNUM, 32))
    add("ini-password-digits", "[db]\nuser = app\npassword = {s}\n", password())
    add("xml-password", "<password>{s}</password>", password())

    # payment cards
    for name, prefix, length, sizes, sep in (
        ("card-visa-spaced", "4", 16, (4, 4, 4, 4), " "),
        ("card-visa-plain", "4", 16, (16,), ""),
        ("card-mastercard-dashes", "53", 16, (4, 4, 4, 4), "-"),
        ("card-mastercard-2series", "2221", 16, (4, 4, 4, 4), " "),
        ("card-amex", "37", 15, (4, 6, 5), " "),
        ("card-discover", "6011", 16, (4, 4, 4, 4), " "),
        ("card-jcb", "3530", 16, (4, 4, 4, 4), "-"),
        ("card-diners", "36", 14, (4, 6, 4), " "),
        ("card-visa-19", "4", 19, (4, 4, 4, 4, 3), " "),
    ):
        add(
            name,
            "please charge card {s} for the renewal",
            groups(luhn_complete(prefix, length), sizes, sep),
        )

    # secrets told in prose
    for name, template in (
        ("prose-database-password", "the database password is {s}"),
        ("prose-my-password-was", "My password was {s} before the reset."),
        ("prose-token-colon", "my token: {s}"),
        ("prose-api-key-is", "The API key is {s}, keep it safe"),
        ("prose-passphrase", "the passphrase is {s}"),
        ("prose-secret-is", "The secret is `{s}`"),
        ("prose-password-for", "The password for the staging db is {s}."),
        ("prose-pwd-was", "pwd was {s}"),
        ("prose-access-key", "the access key is {s}"),
        ("prose-quoted", 'The admin password is "{s}".'),
        ("prose-password-is-now", "the wifi password is now {s}"),
        ("prose-bare-key", "ok so the key is {s} for now"),
    ):
        add(name, template, password())

    # Mailgun, Mailchimp
    add("mailgun-key-prefix", "MG key: key-{s}", rnd(HEX, 32))
    add(
        "mailgun-current",
        "mailgun api key {s}",
        rnd(HEX, 32) + "-" + rnd(HEX, 8) + "-" + rnd(HEX, 8),
    )
    add("mailchimp-key", "mailchimp {s}", rnd(HEX, 32) + "-us" + str(_R.randrange(1, 21)))

    # cookies
    add("cookie-header", "Cookie: _ga=GA1.2.3; sessionid={s}; lang=en", rnd(ALNUM, 32))
    add(
        "set-cookie-header",
        "Set-Cookie: __Host-session={s}; Path=/; Secure; HttpOnly",
        rnd(B64URL, 40),
    )
    add("curl-cookie", "curl -b 'session={s}' https://app.example.com/me", rnd(ALNUM, 28))
    add("json-cookie", '{"headers": {"cookie": "auth_session={s}"}}', rnd(HEX, 40))

    # vendor token formats
    for name, template, value in (
        ("stripe-sk-live", "stripe.api_key = '{s}'", "sk_live_" + rnd(ALNUM, 24)),
        ("stripe-rk-live", "restricted key {s}", "rk_live_" + rnd(ALNUM, 24)),
        (
            "slack-xoxb",
            "bot {s}",
            "xoxb-" + rnd(DIGITS, 12) + "-" + rnd(DIGITS, 13) + "-" + rnd(ALNUM, 24),
        ),
        (
            "slack-xoxp",
            "user token {s}",
            "xoxp-" + rnd(DIGITS, 12) + "-" + rnd(DIGITS, 12) + "-" + rnd(HEX, 32),
        ),
        ("github-ghp", "{s}", "ghp_" + rnd(ALNUM, 36)),
        ("github-gho", "oauth {s}", "gho_" + rnd(ALNUM, 36)),
        ("github-ghu", "u2s {s}", "ghu_" + rnd(ALNUM, 36)),
        ("github-ghs", "app {s}", "ghs_" + rnd(ALNUM, 36)),
        ("github-ghr", "refresh {s}", "ghr_" + rnd(ALNUM, 36)),
        ("github-pat", "fine-grained {s}", "github_pat_" + rnd(ALNUM, 22) + "_" + rnd(ALNUM, 59)),
        ("gitlab-glpat", "gitlab {s}", "glpat-" + rnd(B64URL, 20)),
        ("openai-sk-proj", "OPENAI_API_KEY={s}", "sk-proj-" + rnd(B64URL, 120)),
        ("openai-legacy", "openai {s}", "sk-" + rnd(ALNUM, 48)),
        ("anthropic-sk-ant", "anthropic {s}", "sk-ant-api03-" + rnd(B64URL, 93) + "AA"),
        ("google-aiza", "gemini key {s}", "AIza" + rnd(B64URL, 35)),
        (
            "azure-accountkey",
            "DefaultEndpointsProtocol=https;AccountName=x;AccountKey={s};EndpointSuffix=core.windows.net",
            b64(64),
        ),
        ("twilio-sk", "twilio {s}", "SK" + rnd(HEX, 32)),
        ("sendgrid", "sendgrid {s}", "SG." + rnd(B64URL, 22) + "." + rnd(B64URL, 43)),
        ("npm-token", "npm {s}", "npm_" + rnd(ALNUM, 36)),
        ("pypi-token", "twine {s}", "pypi-AgEIcHlwaS5vcmc" + rnd(B64URL, 100)),
        ("huggingface", "hf {s}", "hf_" + rnd(LOWER + UPPER, 34)),
        ("huggingface-org", "hf org {s}", "api_org_" + rnd(ALNUM, 34)),
        ("postgres-url", "DATABASE_URL=postgres://app:{s}@db:5432/app", password()),
        ("mongodb-srv-url", "mongodb+srv://admin:{s}@cluster0.example.net/test", rnd(ALNUM, 16)),
        ("bearer-header", "Authorization: Bearer {s}", rnd(ALNUM + "-._", 48)),
        (
            "basic-header",
            "Authorization: Basic {s}",
            base64.b64encode(f"admin:{password()}".encode()).decode(),
        ),
        ("openrouter", "openrouter {s}", "sk-or-v1-" + rnd(HEX, 64)),
        ("square", "square {s}", "sq0atp-" + rnd(B64URL, 22)),
        ("planetscale", "pscale {s}", "pscale_tkn_" + rnd(ALNUM, 43)),
        ("figma", "figma {s}", "figd_" + rnd(B64URL, 40)),
        ("contentful", "contentful {s}", "CFPAT-" + rnd(B64URL, 43)),
        ("bitbucket", "bitbucket {s}", "ATBB" + rnd(ALNUM, 32)),
        ("render", "render {s}", "rnd_" + rnd(ALNUM, 32)),
        ("resend", "resend {s}", "re_" + rnd(ALNUM, 8) + "_" + rnd(ALNUM, 24)),
        ("brevo", "brevo {s}", "xkeysib-" + rnd(HEX, 64) + "-" + rnd(ALNUM, 16)),
        ("mapbox-secret", "mapbox {s}", "sk.eyJ1Ijoi" + rnd(B64URL, 40) + "." + rnd(B64URL, 22)),
        ("pinecone", "pinecone {s}", "pcsk_" + rnd(ALNUM, 50)),
        ("supabase-secret", "supabase {s}", "sb_secret_" + rnd(B64URL, 31)),
        ("neon", "neon {s}", "napi_" + rnd(LOWER + DIGITS, 64)),
        ("pulumi", "pulumi {s}", "pul-" + rnd(HEX, 40)),
        (
            "dynatrace",
            "dt {s}",
            "dt0c01." + rnd(UPPER + DIGITS, 24) + "." + rnd(UPPER + DIGITS, 64),
        ),
        ("alibaba", "aliyun {s}", "LTAI" + rnd(ALNUM, 20)),
        ("elevenlabs", "xi {s}", "sk_" + rnd(HEX, 48)),
        ("flyio", "fly {s}", "fm2_" + rnd(ALNUM, 60)),
        ("netlify", "netlify {s}", "nfp_" + rnd(ALNUM, 36)),
        ("docker-oat", "docker org token {s}", "dckr_oat_" + rnd(B64URL, 32)),
        ("doppler", "doppler {s}", "dp.st.prd." + rnd(ALNUM, 40)),
        ("vault", "vault {s}", "hvs." + rnd(B64URL, 90)),
    ):
        add(name, template, value)
    jwt = (
        base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        .decode()
        .rstrip("=")
        + "."
        + base64.urlsafe_b64encode(json.dumps({"sub": "42", "iat": 1700000000}).encode())
        .decode()
        .rstrip("=")
        + "."
        + rnd(B64URL, 43)
    )
    add("jwt", "token={s}", jwt)
    aws_id = "AKIA" + rnd(UPPER + "234567", 16)
    aws_secret = rnd(ALNUM + "/+", 40)
    block(
        "aws-credentials-csv",
        f"User name,Access key ID,Secret access key\nci-bot,{aws_id},{aws_secret}\n",
        aws_secret,
    )
    return k


KINDS: list[Kind] = _kinds()


def _lookalikes() -> list[str]:
    sha = rnd(HEX, 40)
    uid = "0b6f2f0e-8c4a-4c1e-9a57-1e2d3c4b5a69"
    png = b64(2400)
    cert64 = base64.b64encode(pem("CERTIFICATE")[0].encode()).decode()
    pub_spaced = pem("PUBLIC KEY", " ")[0]
    cert_spaced = pem("CERTIFICATE", " ")[0]
    out = [
        # AWS documentation sample keys, vault references, placeholders
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6231643632353166",
        "wifi_password: !secret wifi_password",
        "MasterUserPassword: !Ref DbPassword",
        "password: <password>",
        "PASSWORD=${PASSWORD}",
        "password = changeme",
        "DB_PASSWORD=changeit",
        "api_key: your-api-key-here",
        "token: <token>",
        "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
        "the password field is required",
        "Password is required.",
        "the password is incorrect",
        "the token is expired",
        "the key is to write tests first",
        "my password was changed yesterday",
        "the secret is stored in the vault",
        "the api key is stored in 1Password",
        "the password is too short",
        "the token is 3600 seconds long",
        "use the --token flag instead",
        "pass it with --password or read it from stdin",
        "docker login --password-stdin < token.txt",
        "keytool -list -keystore app.jks -storepass:env STOREPASS",
        "openssl rsa -in k.pem -passin env:KEY_PASS -out p.pem",
        "openssl rsa -in k.pem -passin file:pass.txt",
        "mysql -u root -p shop",
        "mongosh --host db -u admin -p --authenticationDatabase admin",
        "docker run -p 8080:80 nginx",
        "ssh -p 2222 deploy@host",
        "psql -h db -p 5432 -U app",
        "git log -p --all",
        "python -m pytest -p no:randomly tests/",
        "redis-cli -h cache -p 6379 ping",
        "htpasswd -c /etc/nginx/.htpasswd alice",
        "machine api.example.com login alice",
        '{"auth": "oauth2", "enabled": true}',
        "auth: true",
        "Cookie: lang=en; theme=dark",
        "Set-Cookie: consent=yes; Path=/; Max-Age=3600",
        "the cookie banner is shown once",
        # ids and hashes
        sha,
        f"commit {sha}",
        f"Merge: {sha[:7]} {rnd(HEX, 7)}",
        uid,
        f'{{"type": "turn", "id": "{uid}", "session_id": "{uid}"}}',
        f"sha256:{rnd(HEX, 64)}",
        f"md5 {rnd(HEX, 32)}",
        f'ETag: "{rnd(HEX, 32)}"',
        "integrity sha512-" + b64(64),
        f"data:image/png;base64,{png}",
        f"client-certificate-data: {cert64}",
        pub_spaced,
        cert_spaced,
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + rnd(B64URL, 43) + " me@laptop",
        # numbers that are not cards
        "call +1 (555) 010-9999 or +44 20 7946 0958",
        "order " + luhn_fail("4", 16),
        "order id " + groups(luhn_fail("53", 16), (4, 4, 4, 4), "-"),
        "invoice " + luhn_complete("9", 16),
        "timestamp 1700000000123",
        "nanoseconds 1700000000123456789",
        "snowflake 1183928348218454016",
        "pi = 3.14159265358979323846",
        "tracking 1Z999AA10123456784",
        "ISBN 978-3-16-148410-0",
        "IBAN DE89 3704 0044 0532 0130 00",
        "card ending in 4242",
        "test card 4242 4242 4242 4242 is Stripe's sample",
        "1234 5678 9012 3456",
        "0000 0000 0000 0000",
        "version 4.12.0-rc.1",
        "2024-01-01T00:00:00.000Z",
        "192.168.100.200 and fe80::1ff:fe23:4567:890a",
        "MAC 00:1A:2B:3C:4D:5E",
        "#ff8800 #00ffcc",
        "port 5432, pid 123456",
        # code and prose that mention secrets
        "password = os.environ['DB_PASSWORD']",
        "token = request.headers['Authorization']",
        "def check_password(password: str) -> bool:",
        "if password is None: raise ValueError",
        "The password is hashed with argon2id.",
        "The token is a JWT signed with RS256.",
        "the secret is in the environment",
        "api key is required for this endpoint",
        "password: str",
        "mask the password as sk-...abcd",
        "AKIA**************** (masked)",
        "xoxb-your-token-here",
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "key-value store",
        "pin the version to 1.2.3",
        "-----BEGIN RSA PRIVATE KEY----- ... -----END RSA PRIVATE KEY-----",
        "a PEM file starts with -----BEGIN PRIVATE KEY-----",
        "mailgun domain mg.example.com",
        f"uuid pair {uid}-{rnd(HEX, 8)}",
        f"build {rnd(HEX, 32)}-{rnd(HEX, 4)}",
        "hf_hub_download(repo_id='x')",
        "re_compile_pattern_cache",
        "sk_test_placeholder",
        "curl -b cookies.txt https://example.com",
        "the credentials are in ~/.aws/credentials",
        "the primary key is user_id and the sort key is created_at2",
        "my key is in the drawer",
    ]
    return out


LOOKALIKES: list[str] = _lookalikes()
