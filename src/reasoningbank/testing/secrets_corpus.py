"""A corpus of fake secrets in the texts that carry them, and of texts that must stay as they are.

Each :class:`Case` of :data:`CORPUS` is a realistic carrier (an environment
dump, a shell command, a CSV row, an HTTP header, JSON, prose) with the secret
values it holds and the kind the redactor names them with (``[REDACTED:<kind>]``);
:data:`NEGATIVES` are texts that look close but hold no secret. Tests assert that
no value of the corpus survives a redaction and that every negative is left
unchanged; the end-to-end tests look for :func:`all_secrets` in the bank file,
the job store, exports, logs and rendered prompts. Add a line to the tables
whenever a shape is added or a leak is found.

Every value is assembled from pieces at import time (``_VALUES``: a name, then
its pieces, apart by spaces), so the source holds nothing a secret scanner flags.
In ``_CASES`` (``kind | text``), ``<name>`` is a value (a secret, unless its name
starts with ``_``) and ``\\n`` a new line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """``text`` holds every value of ``secrets``; the redactor marks them ``[REDACTED:<kind>]``."""

    text: str
    secrets: tuple[str, ...]
    kind: str


_VALUES = """
aws_id        AKIAIOSF ODNN7EXA MPLE
aws_secret    wJalrXUt nFEMI/K7 MDENG/bP xRfiCYEX AMPLEKEY
openai        sk-proj- Ab12Cd34 Ef56Gh78 Ij90Kl12
github        ghp_a1B2 a1B2a1B2 a1B2a1B2 a1B2a1B2 a1B2a1B2
gitlab        glpat-Xy 7Xy7Xy7X y7Xy7Xy7 Xy7
sendgrid      SG.aB3dE 6gH9jK2m N5pQ8sT1 v.W4xY7z W4xY7zW4 xY7zW4xY 7zW4xY7z W4xY7zW4 xY7zA
azure         Eby8vdM0 2xNOcqFl qUwJPLlm EtlCDXJ1 OUzFT50u SRZ6IFsu Fq2UVErC z4I6tq/K 1SZFPTOt
              r/KBHBek soGMGw==
npm           npm_Ab1C d2Ab1Cd2 Ab1Cd2Ab 1Cd2Ab1C d2Ab1Cd2
slack_hook    https:// hooks.sl ack.com/ services /T000000 0/B00000 00/Xx1Yy 2ZzXx1Yy 2ZzXx1Yy 2Zz
twilio        SK012345 6789abcd ef012345 6789abcd ef
shopify       shpat_01 23456789 abcdef01 23456789 abcdef
digitalocean  dop_v1_0 12345678 9abcdef0 12345678 9abcdef0 12345678 9abcdef0 12345678 9abcdef
pypi          pypi-AgE IcHlwaS5 vcmcQ1w2 E3r4T5Q1 w2E3r4T5 Q1w2E3r4 T5Q1w2E3 r4T5Q1w2 E3r4T5Q1
              w2E3r4T5
square        sq0atp-A b1Cd2Ef3 Gh4Ij5Kl 6Mn7O
google_oauth  GOCSPX-A b1Cd2Ef3 Gh4Ij5Kl 6Mn7Op8Q r9S
telegram      12345678 9:AAHd2J f5Kk8Ll1 Mm4Nn7Oo 0Pp3Qq6R r9Ss2T
databricks    dapi0123 456789ab cdef0123 456789ab cdef
vault         hvs.CAES IAb1Cd2E f3GAb1Cd 2Ef3GAb1 Cd2Ef3GA b1Cd2Ef3 GAb1Cd2E f3GAb1Cd 2Ef3GAb1
              Cd2Ef3GA b1Cd2Ef3 GAb1Cd2E f3GAb1Cd 2Ef3G
postman       PMAK-012 3456789a b0123456 789ab-01 23456789 abcdef01 23456789 abcdefab
linear        lin_api_ Ab1Cd2Ef 3GAb1Cd2 Ef3GAb1C d2Ef3GAb 1Cd2Ef3G
age           AGE-SECR ET-KEY-1 QPZRY9X8 GF2TVDW0 S3JN54KH CE6MUA7L QPZRY9X8 GF2TVDW0 S3JN54KH CE
azure_ad      abc8Q~Ab 1Cd2Ef3G h4Ij5Kl6 Mn7Op8Qr 9St0Uv
pgp_body      lQOYBF00 00000AQg Ax9Yz
pem_body      MIIEvQIB ADANBgkq hkiG9w0B AQEFAASC
pg            PgPass-9 x
my            MySqlPw7
opt           OptPw-42
odbc          Odbc!Pw3
prose         Adm1nPw
fish          swordfis h
hunter        hunter2
sid           a8f5f167 f44f4964 e6c998de e827110c
csrf          Zx9CsrfT ok3n
basic         YWxhZGRp bjpvcGVu c2VzYW1l
discord_hook  https:// discord. com/api/ webhooks /1234567 89012345 678/Ab1C d2Ef3Gh4 Ij5Kl6Mn 7Op8Qr9S
teams_hook    acme.web hook.off ice.com/ webhookb 2/0a1b2c 3d-4e5f- 6a7b-8c9d 0e1f2a3b 4c5d@0a1b
mailchimp     01234567 89abcdef 01234567 89abcdef -us21
sentry        sntryu_0 12345678 9abcdef0 12345678 9abcdef0 12345678 9abcdef0 12345678 9abcdef
doppler       dp.pt.Ab 1Cd2Ef3G h4Ij5Kl6 Mn7Op8Qr 9St0Uv1W x2Yz3Ab4 Cd5
newrelic      NRAK-AB1 CD2EF3GH 4IJ5KL6M N7OP8QR9 S
grafana       glsa_Ab1 Cd2Ef3Gh 4Ij5Kl6M n7Op8Qr9 St0Uv_01 234567
sas           Ab1Cd2Ef 3Gh4Ij5K l6Mn7%2B %3D
stripe        sk_live_ 4eC39HqL yjW4eC39 HqLyjW
"""

_CASES = r"""
aws-secret-key | User name,Password,Access key ID,Secret access key\nbob,,<aws_id>,<aws_secret>\n
aws-secret-key | Access key ID,Secret access key\n<aws_id>,<aws_secret>
aws-secret-key | "<aws_id>","<aws_secret>"
aws-secret-key | [default]\naws_access_key_id = <aws_id>\naws_secret_access_key = <aws_secret>\n
aws-secret-key | {"AccessKey": {"AccessKeyId": "<aws_id>", "SecretAccessKey": "<aws_secret>"}}
aws-secret-key | AWS Secret Access Key [None]: <aws_secret>
password | PGPASSWORD=<pg> psql -h 127.0.0.1 -U app
password | export PGPASSWORD='<pg>'
password | $ mysql -u root -p<my> shop
password | mysqldump --single-transaction -uroot -p'<my>' shop > shop.sql
password | mariadb -h 127.0.0.1 -p<my>
password | deploy --password <opt> --verbose
password | tool --db-password=<opt>
token | cli login --token <opt>
password | Driver={SQL Server};Server=db;Uid=sa;Pwd=<odbc>;
password | pwd=<odbc>
password | MYSQL_PWD=<my>
password | The admin password is <prose>.
password | password for root: <prose>
password | The password for the admin account: <prose>
token | my token is <prose>, keep it
password | the password was changed to '<fish>'
password | password: <hunter>
cookie | Cookie: sessionid=<sid>; csrftoken=<csrf>
cookie | curl -H 'Cookie: sessionid=<sid>' http://127.0.0.1/
cookie | Set-Cookie: sessionid=<sid>; Path=/; HttpOnly
cookie | curl --cookie 'sessionid=<sid>' http://127.0.0.1/
password | curl -u admin:<csrf> http://127.0.0.1/api
authorization | Proxy-Authorization: Basic <basic>
api-key | X-Api-Key: <csrf>
url-password | git clone https://oauth2:<gitlab>@gitlab.example.org/x.git
gitlab-token | GITLAB_TOKEN=<gitlab>
gitlab-token | PRIVATE-TOKEN: <gitlab>
azure-key | DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=<azure>;EndpointSuffix=core
sendgrid-key | sendgrid key <sendgrid> in use
npm-token | //registry.npmjs.org/:_authToken=<npm>
npm-token | npm token: <npm>
slack-webhook | post to <slack_hook> daily
twilio-key | twilio <twilio>
shopify-token | X-Shopify-Access-Token: <shopify>
digitalocean-token | doctl auth init -t <digitalocean>
pypi-token | [pypi]\nusername = __token__\nkey <pypi>
square-token | square <square>
google-oauth-secret | {"client_id": "x.apps", "web": "<google_oauth>"}
telegram-token | bot <telegram> started
databricks-token | databricks <databricks>
vault-token | VAULT_ADDR=x <vault>
postman-key | postman <postman>
linear-key | linear <linear>
age-key | age <age>
azure-ad-secret | azure app <azure_ad> expires
private-key | -----BEGIN PGP <_pk> BLOCK-----\n\n<pgp_body>\n-----END PGP <_pk> BLOCK-----
private-key | -----BEGIN OPENSSH <_pk>-----\n<pem_body>\n-----END OPENSSH <_pk>-----
openai-key | export OPENAI_API_KEY=<openai>
github-token | {"token": "<github>"}
discord-webhook | curl -X POST <discord_hook> -d '{"content": "done"}'
teams-webhook | TEAMS_URL=https://<teams_hook>
mailchimp-key | mailchimp api key <mailchimp>
sentry-token | sentry-cli --auth-token <sentry> releases list
doppler-token | DOPPLER_TOKEN=<doppler>
newrelic-key | newrelic <newrelic>
grafana-token | grafana <grafana>
azure-key | https://acct.blob.core.windows.net/c/x.txt?sv=2022-11-02&sp=r&sig=<sas>
stripe-key | stripe.api_key = "<stripe>"
"""


def _values() -> dict[str, str]:
    values: dict[str, str] = {}
    name = ""
    for line in _VALUES.strip("\n").splitlines():
        if not line[0].isspace():
            name, line = line.split(None, 1)
            values[name] = ""
        values[name] += line.replace(" ", "")
    values["_pk"] = "PRIV" + "ATE KEY"
    return values


def _cases(values: dict[str, str]) -> tuple[Case, ...]:
    out = []
    for line in _CASES.strip().splitlines():
        kind, template = line.split(" | ", 1)
        names = re.findall(r"<([a-z_]+)>", template)
        text = re.sub(r"<([a-z_]+)>", lambda m: values[m.group(1)], template).replace("\\n", "\n")
        out.append(Case(text, tuple(dict.fromkeys(values[n] for n in names if not n.startswith("_"))), kind))
    return tuple(out)


CORPUS: tuple[Case, ...] = _cases(_values())

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
