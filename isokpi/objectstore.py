"""Object storage for DuckLake's data files: `ISOKPI_DATA_PATH=s3://bucket/prefix` through DuckDB's httpfs.

The settings come from the standard variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_REGION, AWS_ENDPOINT_URL (S3-compatible stores) and ISOKPI_S3_URL_STYLE=path|vhost, each else from the same
keys in lower case in the `[isokpi.s3]` section of .streamlit/secrets.toml. They become one DuckDB secret
scoped to the data path; the key and the secret never appear in a message, a log line or repr().

The store (isokpi.db) imports this module; it imports nothing of isokpi but the errors.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from isokpi.errors import InputError, IsokpiError

SCHEME = "s3://"
URL_STYLES = ("path", "vhost")
SECRET_NAME = "isokpi_s3"
CHECK_FILE = "isokpi-write-check.csv"  # written and read back on every open: the bucket is reachable and writable
ROOT = Path(__file__).resolve().parent.parent
# The settings and the [isokpi.s3] keys that may stand for them.
VARIABLES = {
    "key_id": "AWS_ACCESS_KEY_ID",
    "secret": "AWS_SECRET_ACCESS_KEY",
    "session_token": "AWS_SESSION_TOKEN",
    "region": "AWS_REGION",
    "endpoint_url": "AWS_ENDPOINT_URL",
    "url_style": "ISOKPI_S3_URL_STYLE",
}
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_SCHEME_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


class StorageError(IsokpiError):
    """The object store cannot be used as configured: no such bucket, refused credentials, unreachable."""


class StorageSettingError(InputError):
    """A setting of the object store is malformed (the path, the URL style, the endpoint): exit code 2."""


def is_url(data_path: str) -> bool:
    """Whether ISOKPI_DATA_PATH names a URL (s3://..., or another scheme isokpi refuses) rather than a directory:
    `s3:` is never taken as a local folder's name."""
    return _SCHEME_LIKE.match(data_path) is not None


def shown_url(address: str) -> str:
    """An address as a message may quote it: without a user:password@ part (credentials someone wrote into it)."""
    return re.sub(r"(^[a-z][a-z0-9+.-]*://)[^/@]*@", r"\1***@", address, flags=re.IGNORECASE)


def normalized_url(data_path: str) -> str:
    """`s3://bucket/prefix` checked and without a trailing slash; anything else with a scheme is refused."""
    if not data_path.lower().startswith(SCHEME):
        raise StorageSettingError(
            f"ISOKPI_DATA_PATH={shown_url(data_path)!r} is neither a directory nor an s3://bucket/prefix address: isokpi keeps "
            "DuckLake's data files in a shared directory or in S3-compatible object storage."
        )
    rest = data_path[len(SCHEME) :].rstrip("/")
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise StorageSettingError(
            f"ISOKPI_DATA_PATH={shown_url(data_path)!r}: {shown_url(SCHEME + bucket)[len(SCHEME) :]!r} is not an S3 bucket name (3 to 63 lower-case letters, "
            "digits, dots and hyphens); use s3://bucket/prefix."
        )
    parts = [part for part in prefix.split("/") if part]
    if any(part in (".", "..") for part in parts) or any(ord(ch) < 32 for ch in prefix):
        raise StorageSettingError(
            f"ISOKPI_DATA_PATH={shown_url(data_path)!r}: the prefix after the bucket is not a plain path."
        )
    return SCHEME + "/".join([bucket, *parts])


def bucket_of(url: str) -> str:
    return url[len(SCHEME) :].split("/", 1)[0]


def secrets_files() -> list[Path]:
    """Where Streamlit reads secrets.toml, in its order (later ones win): the user's, the project's, the
    working directory's."""
    found: list[Path] = []
    for path in (Path.home() / ".streamlit" / "secrets.toml", ROOT / ".streamlit" / "secrets.toml",
                 Path.cwd() / ".streamlit" / "secrets.toml"):  # fmt: skip
        if path.is_file() and path.resolve() not in [p.resolve() for p in found]:
            found.append(path)
    return found


def secrets_section() -> dict[str, Any]:
    """The `[isokpi.s3]` section of the secrets files (empty when there is none)."""
    section: dict[str, Any] = {}
    for path in secrets_files():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise StorageSettingError(f"{path} cannot be read as TOML: {error}") from None
        found = document.get("isokpi", {}).get("s3", {})
        if not isinstance(found, dict):
            raise StorageSettingError(f"{path}: [isokpi.s3] must be a table of settings")
        section.update(found)
    return section


@dataclass(frozen=True)
class S3Settings:
    """How to reach the object store. repr() and messages never show the key id, the secret or the token."""

    key_id: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)
    region: str = "us-east-1"
    endpoint: str | None = None  # host[:port] of an S3-compatible store; None for AWS itself
    use_ssl: bool = True
    url_style: str = "vhost"

    @property
    def where(self) -> str:
        """The store's address for messages."""
        if self.endpoint is None:
            return f"AWS S3 (region {self.region})"
        return f"{'https' if self.use_ssl else 'http'}://{self.endpoint}"

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, section: Mapping[str, Any] | None = None) -> S3Settings:
        """Each setting from the environment, else from `[isokpi.s3]` (read from the secrets files when
        `section` is None)."""
        environ = os.environ if environ is None else environ
        section = secrets_section() if section is None else section
        unknown = sorted(set(section) - set(VARIABLES))
        if unknown:
            raise StorageSettingError(f"[isokpi.s3] has unknown keys {', '.join(unknown)}: use {', '.join(VARIABLES)}")
        values: dict[str, str] = {}
        for key, variable in VARIABLES.items():
            value = environ.get(variable) or section.get(key)
            if value is None or value == "":
                continue
            if not isinstance(value, str) or "\x00" in value:
                raise StorageSettingError(f"{variable} (or [isokpi.s3] {key}) must be text")
            values[key] = value.strip()
        if ("key_id" in values) != ("secret" in values):
            raise StorageSettingError(
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or key_id and secret in [isokpi.s3]) go together: "
                "give both, or neither for a public bucket"
            )
        endpoint, use_ssl = None, True
        if "endpoint_url" in values:
            endpoint, use_ssl = _endpoint(values["endpoint_url"])
        style = values.get("url_style", "path" if endpoint else "vhost").lower()
        if style not in URL_STYLES:
            raise StorageSettingError(f"ISOKPI_S3_URL_STYLE={style!r}: use path or vhost")
        return cls(
            key_id=values.get("key_id"),
            secret=values.get("secret"),
            session_token=values.get("session_token"),
            region=values.get("region", "us-east-1"),
            endpoint=endpoint,
            use_ssl=use_ssl,
            url_style=style,
        )

    def create_secret_sql(self, scope: str) -> str:
        """CREATE SECRET for the data path `scope` (it takes no parameters: every value a literal, quotes
        doubled). Never logged."""
        options = [("TYPE", "s3"), ("PROVIDER", "config"), ("REGION", _literal(self.region))]
        if self.key_id is not None and self.secret is not None:
            options += [("KEY_ID", _literal(self.key_id)), ("SECRET", _literal(self.secret))]
        if self.session_token:
            options.append(("SESSION_TOKEN", _literal(self.session_token)))
        if self.endpoint is not None:
            options.append(("ENDPOINT", _literal(self.endpoint)))
        options += [
            ("URL_STYLE", _literal(self.url_style)),
            ("USE_SSL", "true" if self.use_ssl else "false"),
            ("SCOPE", _literal(scope)),
        ]
        listed = ", ".join(f"{name} {value}" for name, value in options)
        return f"CREATE OR REPLACE TEMPORARY SECRET {SECRET_NAME} ({listed})"


def _endpoint(url: str) -> tuple[str, bool]:
    """host[:port] and whether to use TLS, from AWS_ENDPOINT_URL (`http://minio:9000`; without a scheme, https)."""
    found = re.fullmatch(r"(?:(https?)://)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:\d{1,5})?/?", url)
    if found is None:
        raise StorageSettingError(
            f"AWS_ENDPOINT_URL={shown_url(url)!r} is not an address such as https://s3.example.com or http://127.0.0.1:9000"
        )
    scheme, host, port = found.groups()
    return host + (port or ""), scheme != "http"


def _literal(text: str) -> str:
    if "\x00" in text:
        raise StorageSettingError("an object storage setting contains a NUL character")
    return "'" + text.replace("'", "''") + "'"


def explain(error: BaseException, settings: S3Settings, url: str) -> str | None:
    """What an httpfs error means for people, naming the bucket and the store but never a credential; None when
    it is not the object store's."""
    text = str(error)
    bucket = bucket_of(url)
    if "NoSuchBucket" in text:
        return (
            f"the bucket {bucket!r} does not exist at {settings.where}: create it, or correct ISOKPI_DATA_PATH ({url})"
        )
    if any(sign in text for sign in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken")):
        return (
            f"{settings.where} refused the credentials for the bucket {bucket!r}: check AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or key_id and secret in [isokpi.s3]), and AWS_SESSION_TOKEN if you use one"
        )
    if "AccessDenied" in text or "HTTP code 403" in text:
        return (
            f"{settings.where} denied reading or writing {url}: give these credentials read, write and list "
            f"rights on the bucket {bucket!r} under that prefix"
        )
    if any(sign in text for sign in ("Could not connect", "Could not establish", "Connection refused",
                                     "Couldn't resolve", "Timeout", "timed out", "SSL")):  # fmt: skip
        return (
            f"cannot reach the object store at {settings.where}: check AWS_ENDPOINT_URL (and that the store is "
            "running and the network lets this machine reach it)"
        )
    if "HTTP" in text and SCHEME in text:
        return f"the object store at {settings.where} failed for {url}: {_without_xml(text)}"
    return None


def _without_xml(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<!\[CDATA\[|\]\]>", "", text)).strip()
