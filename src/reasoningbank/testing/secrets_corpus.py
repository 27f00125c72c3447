"""A corpus of fake secrets in the texts that carry them, and of texts that must stay as they are.

Each :class:`Case` is a realistic carrier (an environment dump, a shell command,
a CSV row, an HTTP header, JSON, prose) with the secret values it holds and the
kind the redactor names them with; :data:`NEGATIVES` are texts that look close
but hold no secret. Tests assert that no value of :data:`CORPUS` survives a
redaction and that every negative is left unchanged; the end-to-end tests look
for :func:`all_secrets` in the bank file, the job store, exports, logs and
rendered prompts. Add a case whenever a shape is added or a leak is found.

Every value is assembled from pieces at import time, so the source holds
nothing a secret scanner flags.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """``text`` holds every value of ``secrets``; the redactor marks them ``[REDACTED:<kind>]``."""

    text: str
    secrets: tuple[str, ...]
    kind: str


def _j(*parts: str) -> str:
    return "".join(parts)


_HEX = "0123456789abcdef"
AWS_ID = _j("AKIA", "IOSFODNN7", "EXAMPLE")
AWS_SECRET = _j("wJalrXUtnFEMI", "/K7MDENG/bPxRfiCY", "EXAMPLEKEY")  # 40 characters
OPENAI = _j("sk-", "proj-", "Ab12Cd34Ef56Gh78Ij90Kl12")
GITHUB = _j("ghp_", "a1B2" * 9)
GITLAB = _j("glp", "at-", "Xy7" * 7)
SENDGRID = _j("SG", ".", "aB3dE6gH9jK2mN5pQ8sT1v", ".", "W4xY7z" * 7, "A")
AZURE = _j("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsu", "Fq2UVErCz4I6tq", "/K1SZFPTOtr/KBHBeksoGMGw==")
NPM = _j("np", "m_", "Ab1Cd2" * 6)
SLACK_HOOK = _j("https://hooks.", "slack.com/services/", "T0000000", "/B0000000/", "Xx1Yy2Zz" * 3)
TWILIO = _j("S", "K", _HEX * 2)
SHOPIFY = _j("shp", "at_", _HEX * 2)
DIGITALOCEAN = _j("do", "p_v1_", _HEX * 4)
PYPI = _j("pypi-", "AgEIcHlwaS5vcmc", "Q1w2E3r4T5" * 6)
SQUARE = _j("sq0", "atp-", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7O")
GOOGLE_OAUTH = _j("GOC", "SPX-", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9S")
TELEGRAM = _j("123456789", ":AA", "Hd2Jf5Kk8Ll1Mm4Nn7Oo0Pp3Qq6Rr9Ss2T")
DATABRICKS = _j("da", "pi", _HEX * 2)
VAULT = _j("hv", "s.", "CAESI" + "Ab1Cd2Ef3G" * 10)
POSTMAN = _j("PM", "AK-", _HEX[:12] * 2, "-", _HEX * 2, "ab")
LINEAR = _j("lin_", "api_", "Ab1Cd2Ef3G" * 4)
AGE = _j("AGE-SECRET", "-KEY-1", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2)[:74]
AZURE_AD = _j("abc", "8Q~", "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv")
PGP_BODY = _j("lQOYBF", "0000000AQgA", "x9Yz")
PEM_BODY = _j("MIIEvQ", "IBADANBgkqhkiG9w0", "BAQEFAASC")


def _aws() -> list[Case]:
    return [
        Case(
            _j("User name,Password,Access key ID,Secret access key\nbob,,", AWS_ID, ",", AWS_SECRET, "\n"),
            (AWS_ID, AWS_SECRET),
            "aws-secret-key",
        ),
        Case(
            _j("Access key ID,Secret access key\n", AWS_ID, ",", AWS_SECRET),
            (AWS_ID, AWS_SECRET),
            "aws-secret-key",
        ),
        Case(_j('"', AWS_ID, '","', AWS_SECRET, '"'), (AWS_ID, AWS_SECRET), "aws-secret-key"),
        Case(
            _j("[default]\naws_access_key_id = ", AWS_ID, "\naws_secret_access_key = ", AWS_SECRET, "\n"),
            (AWS_ID, AWS_SECRET),
            "aws-secret-key",
        ),
        Case(
            _j('{"AccessKey": {"AccessKeyId": "', AWS_ID, '", "SecretAccessKey": "', AWS_SECRET, '"}}'),
            (AWS_ID, AWS_SECRET),
            "aws-secret-key",
        ),
        Case(_j("AWS Secret Access Key [None]: ", AWS_SECRET), (AWS_SECRET,), "aws-secret-key"),
    ]


def _passwords() -> list[Case]:
    pg, my, opt, odbc = (
        _j("Pg", "Pass-", "9x"),
        _j("My", "Sql", "Pw7"),
        _j("Opt", "Pw-", "42"),
        _j("Od", "bc!", "Pw3"),
    )
    prose = _j("Adm", "1n", "Pw")
    return [
        Case(_j("PGPASSWORD=", pg, " psql -h 127.0.0.1 -U app"), (pg,), "password"),
        Case(_j("export PGPASSWORD='", pg, "'"), (pg,), "password"),
        Case(_j("$ mysql -u root -p", my, " shop"), (my,), "password"),
        Case(_j("mysqldump --single-transaction -uroot -p'", my, "' shop > shop.sql"), (my,), "password"),
        Case(_j("mariadb -h 127.0.0.1 -p", my), (my,), "password"),
        Case(_j("deploy --password ", opt, " --verbose"), (opt,), "password"),
        Case(_j("tool --db-password=", opt), (opt,), "password"),
        Case(_j("cli login --token ", opt), (opt,), "token"),
        Case(_j("Driver={SQL Server};Server=db;Uid=sa;Pwd=", odbc, ";"), (odbc,), "password"),
        Case(_j("pwd=", odbc), (odbc,), "password"),
        Case(_j("MYSQL_PWD=", my), (my,), "password"),
        Case(_j("The admin password is ", prose, "."), (prose,), "password"),
        Case(_j("password for root: ", prose), (prose,), "password"),
        Case(_j("The password for the admin account: ", prose), (prose,), "password"),
        Case(_j("my token is ", prose, ", keep it"), (prose,), "token"),
        Case(_j("the password was changed to '", "swordfish", "'"), ("swordfish",), "password"),
        Case(_j("password: ", "hunter", "2"), (_j("hunter", "2"),), "password"),
    ]


def _headers() -> list[Case]:
    sid, csrf = _j("a8f5f1", "67f44f4964e6c998dee827110c"), _j("Zx9", "Csrf", "Tok3n")
    return [
        Case(_j("Cookie: sessionid=", sid, "; csrftoken=", csrf), (sid, csrf), "cookie"),
        Case(_j("curl -H 'Cookie: sessionid=", sid, "' http://127.0.0.1/"), (sid,), "cookie"),
        Case(_j("Set-Cookie: sessionid=", sid, "; Path=/; HttpOnly"), (sid,), "cookie"),
        Case(_j("curl --cookie 'sessionid=", sid, "' http://127.0.0.1/"), (sid,), "cookie"),
        Case(_j("curl -u admin:", csrf, " http://127.0.0.1/api"), (csrf,), "password"),
        Case(
            _j("Proxy-Authorization: Basic ", "YWxhZGRpbjpvcGVu", "c2VzYW1l"),
            (_j("YWxhZGRpbjpvcGVu", "c2VzYW1l"),),
            "authorization",
        ),
        Case(_j("X-Api-Key: ", csrf), (csrf,), "api-key"),
    ]


def _providers() -> list[Case]:
    return [
        Case(_j("git clone https://oauth2:", GITLAB, "@gitlab.example.org/x.git"), (GITLAB,), "url-password"),
        Case(_j("GITLAB_TOKEN=", GITLAB), (GITLAB,), "gitlab-token"),
        Case(_j("PRIVATE-TOKEN: ", GITLAB), (GITLAB,), "gitlab-token"),
        Case(
            _j("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=", AZURE, ";EndpointSuffix=core"),
            (AZURE,),
            "azure-key",
        ),
        Case(_j("sendgrid key ", SENDGRID, " in use"), (SENDGRID,), "sendgrid-key"),
        Case(_j("//registry.npmjs.org/:_authToken=", NPM), (NPM,), "npm-token"),
        Case(_j("npm token: ", NPM), (NPM,), "npm-token"),
        Case(_j("post to ", SLACK_HOOK, " daily"), (SLACK_HOOK,), "slack-webhook"),
        Case(_j("twilio ", TWILIO), (TWILIO,), "twilio-key"),
        Case(_j("X-Shopify-Access-Token: ", SHOPIFY), (SHOPIFY,), "shopify-token"),
        Case(_j("doctl auth init -t ", DIGITALOCEAN), (DIGITALOCEAN,), "digitalocean-token"),
        Case(_j("[pypi]\nusername = __token__\nkey ", PYPI), (PYPI,), "pypi-token"),
        Case(_j("square ", SQUARE), (SQUARE,), "square-token"),
        Case(
            _j('{"client_id": "x.apps", "web": "', GOOGLE_OAUTH, '"}'), (GOOGLE_OAUTH,), "google-oauth-secret"
        ),
        Case(_j("bot ", TELEGRAM, " started"), (TELEGRAM,), "telegram-token"),
        Case(_j("databricks ", DATABRICKS), (DATABRICKS,), "databricks-token"),
        Case(_j("VAULT_ADDR=x ", VAULT), (VAULT,), "vault-token"),
        Case(_j("postman ", POSTMAN), (POSTMAN,), "postman-key"),
        Case(_j("linear ", LINEAR), (LINEAR,), "linear-key"),
        Case(_j("age ", AGE), (AGE,), "age-key"),
        Case(_j("azure app ", AZURE_AD, " expires"), (AZURE_AD,), "azure-ad-secret"),
        Case(
            _j(
                "-----BEGIN PGP ",
                "PRIVATE KEY BLOCK-----\n\n",
                PGP_BODY,
                "\n-----END PGP ",
                "PRIVATE KEY BLOCK-----",
            ),
            (PGP_BODY,),
            "private-key",
        ),
        Case(
            _j(
                "-----BEGIN OPENSSH ",
                "PRIVATE KEY-----\n",
                PEM_BODY,
                "\n-----END OPENSSH ",
                "PRIVATE KEY-----",
            ),
            (PEM_BODY,),
            "private-key",
        ),
        Case(_j("export OPENAI_API_KEY=", OPENAI), (OPENAI,), "openai-key"),
        Case(_j('{"token": "', GITHUB, '"}'), (GITHUB,), "github-token"),
    ]


CORPUS: tuple[Case, ...] = (*_aws(), *_passwords(), *_headers(), *_providers())

NEGATIVES: tuple[str, ...] = (
    "Enter your password and press Submit.",
    "StaticText 'Password:' textbox ''",
    "the password is required and the token is expired",
    "The password for the account is too short.",
    "ls -p /tmp && mkdir -p build",
    "mysql -u root -p shop",
    "cd $PWD/build; echo $OLDPWD",
    "PWD=/home/agent/project",
    "GET https://example.org/orders/123e4567-e89b-12d3-a456-426614174000",
    "the task id is 5 and the cookie banner was closed",
    "Cookies are small files.",
    "git push -u origin main",
    "max_tokens=600 --max-tokens 600 --token-limit 5",
    "the bearer of the ring; disk-usage; task-sk-learn",
    "my token is expired",
)


def all_secrets() -> tuple[str, ...]:
    """Every secret value of :data:`CORPUS`, once each."""
    return tuple(dict.fromkeys(s for case in CORPUS for s in case.secrets))
