"""The secret shapes the redactor looks for: one regex per shape, with its kind and anchors.

Compared against gitleaks' default rules (``config/gitleaks.toml``) and
detect-secrets 1.5.0's plugins; the rules here are our own, written to the
linear-time rules of :mod:`reasoningbank.text.redact`: each pattern starts
with a literal or is anchored by a look-behind, its repetitions are possessive
or bounded, and nothing after an unbounded run can send the engine back into it.
"""

from __future__ import annotations

from typing import NamedTuple

# Key names whose value is a secret, in an assignment (``DB_PASSWORD=...``) or a mapping key.
KEY_WORDS = (
    r"(?:pg|mysql_?|redis_?|mongo_?)?pass(?:word|wd|phrase)|client[_-]?secret|secret(?:[_-]?key)?"
    r"|private[_-]?key|api[_-]?key|apikey|(?:access|auth|refresh|id|session|private)[_-]?token|token"
    r"|(?:access|account|auth|client|db|service|signing|encryption|master)[_-]?key"
)
KEY_ANCHORS = ("pass", "secret", "private", "api_key", "api-key", "apikey", "token", "key")
VALUE = (  # quoted up to its quote, else up to a space or a delimiter; "{n}" names the groups
    r"""(?:"(?P<{n}q1>[^"\n]{1,256}+)"|'(?P<{n}q2>[^'\n]{1,256}+)'"""
    r"""|(?P<{n}v>[^\s"',;&<>(){}\[\]=][^\s"',;&<>(){}\[\]]{0,255}+))"""
)
# A value in prose ("the password is X"): quoted, or a word of 4+ characters holding a digit or a
# symbol (so "the password is required" is no secret), without the sentence's closing punctuation.
_PROSE_VALUE = (
    r"""(?:"(?P<{n}q1>[^"\n]{1,128}+)"|'(?P<{n}q2>[^'\n]{1,128}+)'"""
    r"""|(?P<{n}v>(?=[^\s"'`]{0,127}?[0-9!@#$%^&*_+=~/\\|<>-])[^\s"'`]{3,127}[^\s"'`.,;:!?)]))"""
)
T = r"A-Za-z0-9_-"  # the characters of a token
_AKIA = r"(?:AKIA|ASIA)[A-Z0-9]{16}"


class Shape(NamedTuple):
    kind: str
    # Lower-case strings one of which the text must contain for the shape to be looked for:
    # a text holding none of them skips the pattern (most text holds no secret at all).
    anchors: tuple[str, ...]
    # The group ``{n}v`` (or ``{n}q1``/``{n}q2``), when present, is the secret inside the match:
    # only it is replaced, so ``password=`` stays readable. Kind ``assignment`` is named after
    # its key (``password``, ``token``...) or after the provider key it holds.
    pattern: str


# Provider tokens that start with the provider's prefix: kind, anchors (the lower-case prefixes),
# pattern ("[T]" is a token's characters). Each is a whole token: not inside a longer one.
_PREFIXED = r"""
anthropic-key       sk-ant-                     sk-ant-[T]{20,}+
openai-key          sk-                         sk-(?:proj-|svcacct-|admin-)?[T]{20,}+
google-api-key      aiza                        AIza[T]{30,}+
google-oauth-secret gocspx-                     GOCSPX-[T]{24,}+
github-token        ghp_,gho_,ghu_,ghs_,ghr_    gh[pousr]_[A-Za-z0-9]{30,}+
github-token        github_pat_                 github_pat_[A-Za-z0-9_]{30,}+
gitlab-token        glpat-,gldt-,glrt-,glptt-,glcbt- gl(?:pat|dt|rt|ptt|cbt)-[T]{20,}+
gitlab-token        glft-,glimt-,gloas-,glsoat- gl(?:ft|imt|oas|soat)-[T]{20,}+
gitlab-token        gr1348941                   GR1348941[T]{20,}+
slack-token         xox                         xox[abposre]-[A-Za-z0-9-]{10,}+
stripe-key          k_live_,k_test_             [sr]k_(?:live|test)_[A-Za-z0-9]{16,}+
huggingface-token   hf_                         hf_[A-Za-z0-9]{30,}+
npm-token           npm_                        npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])
pypi-token          pypi-ageichlwas5vcmc        pypi-AgEIcHlwaS5vcmc[T]{50,}+
sendgrid-key        sg.                         SG\.[T]{22}\.[T]{43}(?![T])
shopify-token       shpat_,shpca_,shppa_,shpss_ shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}
digitalocean-token  dop_v1_,doo_v1_,dor_v1_     do[por]_v1_[a-f0-9]{64}
square-token        sq0atp-,sq0csp-             sq0(?:atp|csp)-[T]{22,}+
databricks-token    dapi                        dapi[a-f0-9]{32}(?:-[0-9])?
grafana-token       glsa_                       glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}
grafana-token       glc_                        glc_[A-Za-z0-9+/]{32,}+={0,2}
vault-token         hvs.,hvb.                   hv[sb]\.[T]{90,}+
postman-key         pmak-                       PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}
linear-key          lin_api_                    lin_api_[A-Za-z0-9]{40}
sentry-token        sntryu_,sntrys_             sntry[us]_[A-Za-z0-9_=+/]{40,}+
doppler-token       dp.                         dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}+
newrelic-key        nrak-                       NRAK-[A-Z0-9]{27}
jwt                 eyj                         eyJ[T]{10,}+\.eyJ[T]{10,}+\.[T]*+
"""


def _prefixed_shapes() -> tuple[Shape, ...]:
    rows = (line.split(None, 2) for line in _PREFIXED.strip().splitlines())
    return tuple(
        Shape(kind, tuple(anchors.split(",")), rf"(?<![{T}])" + body.replace("[T]", f"[{T}]"))
        for kind, anchors, body in rows
    )


PROVIDER_SHAPES: tuple[Shape, ...] = (
    *_prefixed_shapes(),
    Shape("aws-access-key", ("akia", "asia"), rf"(?<![A-Z0-9]){_AKIA}(?![A-Z0-9])"),
    Shape(
        "slack-webhook",
        ("hooks.slack.com",),
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}+",
    ),
    Shape(
        "discord-webhook",
        ("discord",),
        rf"(?:https?://)?(?:discord|discordapp)\.com/api/webhooks/[0-9]{{5,30}}+/[{T}]{{20,}}+",
    ),
    Shape(
        "teams-webhook",
        ("webhook.office.com",),
        r"[a-z0-9-]++\.webhook\.office\.com/webhookb2/[^\s\"'<>]{20,}+",
    ),
    Shape("twilio-key", ("sk",), r"(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}(?![A-Za-z0-9])"),
    Shape("telegram-token", (":aa",), rf"(?<![0-9])[0-9]{{8,10}}:AA[{T}]{{30,}}+"),
    Shape("mailchimp-key", ("-us",), r"(?<![A-Za-z0-9])[0-9a-f]{32}-us[0-9]{1,2}(?![0-9])"),
    Shape("age-key", ("age-secret-key-1",), r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    Shape(
        "azure-ad-secret",
        ("q~",),
        r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
    ),
)

_PRIVATE_KEY = Shape(
    "private-key",
    ("-----begin",),
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,.\\]++|-(?!----))*+"
    r"(?:-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)?",
)
_AWS_SECRET = r"(?P<{n}v>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
_LABELLED: tuple[Shape, ...] = (
    Shape(  # aws_secret_access_key = x, "SecretAccessKey": "x", AWS Secret Access Key [None]: x
        "aws-secret-key",
        ("aws", "secret"),
        r"(?i:aws_?secret_?(?:access_?)?key|secret[ _]?access[ _]?key)(?: \[[^\]\n]{0,40}+\])?"
        rf"[\"']?[ \t]{{0,8}}[:=][ \t]{{0,8}}[\"']?{_AWS_SECRET}",
    ),
    Shape(  # unlabelled, right after an access key id: a credentials CSV row, "id","secret"
        "aws-secret-key",
        ("akia", "asia"),
        rf"(?:(?<={_AKIA}[,;|:\t ])|(?<={_AKIA}[\"'][,;|\t ])|(?<={_AKIA}[\"'][,;|\t ][\"'])){_AWS_SECRET}",
    ),
    Shape(
        "azure-key",
        ("accountkey=", "sharedaccesskey="),
        r"(?<![A-Za-z0-9])(?i:AccountKey|SharedAccessKey)=(?P<{n}v>[A-Za-z0-9+/]{20,}+={0,2})",
    ),
    Shape("azure-key", ("sig=",), r"[?&]sig=(?P<{n}v>[A-Za-z0-9%+/=]{20,}+)"),
    Shape(
        "authorization",
        ("authorization",),
        r"(?i:(?<![A-Za-z0-9])authorization)[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?"
        r"(?i:(?:basic|token|digest|apikey)[ \t]++)?(?P<{n}v>[^\s\"',;]{8,}+)",
    ),
    Shape(  # a digit, or 24 characters: "the bearer of the ring" is no token
        "bearer-token",
        ("bearer",),
        r"(?i:(?<![A-Za-z0-9])bearer)[ \t]++(?P<{n}v>(?=[A-Za-z._~+/=-]*+[0-9])[A-Za-z0-9._~+/=-]{8,}+"
        r"|[A-Za-z0-9._~+/=-]{24,}+)",
    ),
    Shape(  # the whole header value: every cookie in it
        "cookie",
        ("cookie",),
        r"(?<![A-Za-z0-9-])(?i:cookie)[\"']?[ \t]{0,8}:[ \t]{0,8}"
        r"(?:\"(?P<{n}q1>[^\"\n]{1,4096}+)\"|(?P<{n}v>[^\s\"'`;][^\r\n\"'`]{0,4095}+))",
    ),
    Shape(  # the cookie's value; its name and attributes stay
        "cookie",
        ("set-cookie",),
        r"(?<![A-Za-z0-9-])(?i:set-cookie)[ \t]{0,8}:[ \t]{0,8}[^=;\s]{1,256}+=(?P<{n}v>[^;\s\"']{1,4096}+)",
    ),
    Shape(
        "url-password",
        ("://",),
        r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}+://[^\s/?#@:'\"<>]{0,128}+:"
        r"(?P<{n}v>[^\s/?#@'\"<>]{1,256}+)@",
    ),
    Shape(  # mysql -pX (attached: "-p X" asks for the password and names database X)
        "password",
        ("mysql", "mariadb"),
        r"(?<![A-Za-z0-9_./-])(?:mysql(?:dump|admin|import|show|check)?|mariadb(?:-dump|-admin)?)"
        r"(?:[ \t]++(?!-p|--pass)[^\s|;&<>]{1,256}+){0,16}+[ \t]++-p" + VALUE,
    ),
    Shape(  # curl -u user:password
        "password",
        ("curl",),
        r"(?<![A-Za-z0-9_-])(?:-u|--user)(?:[ \t]++|=)[\"']?[^\s:\"'@/]{1,128}+:(?P<{n}v>[^\s\"']{1,256}+)",
    ),
    Shape(  # ODBC and env: Pwd=x, MYSQL_PWD=x; not PWD=/a/dir
        "password",
        ("pwd",),
        r"(?<![A-Za-z0-9])(?i:pwd)[\"']?[ \t]{0,8}(?:=|:[ \t])[ \t]{0,8}(?![\"']?[/~$.\\])" + VALUE,
    ),
    Shape(  # --password x, --db-password=x, --token x, --cookie 'a=b'
        "assignment",
        ("--",),
        r"(?<![A-Za-z0-9_-])--(?:[a-z0-9]{1,20}-){0,3}(?i:password|passwd|pass|token|secret|api-key|apikey"
        r"|cookie)(?:[ \t]++|[ \t]{0,8}=[ \t]{0,8})(?!-)" + VALUE,
    ),
    Shape(  # "the admin password is X", "password for root: X", "my token is X"
        "assignment",
        ("pass", "token", "secret", "api"),
        r"(?<![A-Za-z0-9])(?i:pass(?:word|phrase|code)|passwd|token|api[_-]?key|secret)"
        r"(?:[ \t]++(?i:for|of)(?:[ \t]++[^\s:]{1,64}+){1,3}[ \t]*+:[ \t]*+|[ \t]++(?i:is|was)"
        r"(?:[ \t]++(?i:now|still|set[ \t]to|changed[ \t]to))?[ \t]++)" + _PROSE_VALUE,
    ),
    # JSON and dict keys in quotes: "password": "x", 'api_key':'x'
    Shape("assignment", KEY_ANCHORS, rf"[\"'](?i:{KEY_WORDS})[\"'][ \t]{{0,8}}[:=][ \t]{{0,8}}{VALUE}"),
    # bare keys: DB_PASSWORD=x, api_key = x, token: x (a colon needs a space: not the label 'Password:')
    Shape(
        "assignment",
        KEY_ANCHORS,
        rf"(?<![A-Za-z0-9])(?i:{KEY_WORDS})(?![A-Za-z0-9])"
        rf"(?:[ \t]{{0,8}}=[ \t]{{0,8}}|[ \t]{{0,8}}:[ \t]{{1,8}}){VALUE}",
    ),
)

SHAPES: tuple[Shape, ...] = (_PRIVATE_KEY, *PROVIDER_SHAPES, *_LABELLED)
