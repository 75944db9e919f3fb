# -*- coding: utf-8 -*-

# Copyright: Contributors to the dockyard.ecr project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""ECR authorization tokens, pure: decoding, expiry, durations.

``GetAuthorizationToken`` gives ``base64("AWS:" + password)``. A real ECR password is itself base64 JSON
(``{"payload": ..., "datakey": ..., "version": "2", "type": "DATA_KEY", "expiration": EPOCH}``); that
``expiration`` is undocumented, so it is only a fallback when the expiry of a *stored* token is not known
otherwise. A fresh token's expiry is the response's ``expiresAt``; when that is already past (moto answers
2015), ECR's documented 12 hours from now is recorded instead (``expiry_source: assumed``).
"""

import base64
import binascii
import datetime
import hashlib
import json
import re

from ansible_collections.dockyard.ecr.plugins.module_utils._common.errors import AuthError

ECR_USERNAME = "AWS"
ECR_TOKEN_LIFETIME = 12 * 3600  # seconds; "The authorization token is valid for 12 hours"
DEFAULT_MIN_VALIDITY = 3600
_DURATION_PART_RE = re.compile(r"([0-9]+)([dhms])")
_DURATION_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(value, option="min_validity"):
    """Seconds from an int (``3600``) or a duration string (``"3600"``, ``"90s"``, ``"30m"``, ``"1h30m"``, ``"1d"``)."""
    if isinstance(value, bool):
        value = None  # True/False are ints in Python, not durations
    elif isinstance(value, int):
        if value >= 0:
            return value
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text.isdigit():
            return int(text)
        if text and _DURATION_PART_RE.sub("", text) == "":
            units = [match[1] for match in _DURATION_PART_RE.findall(text)]
            if len(set(units)) == len(units):
                return sum(int(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART_RE.findall(text))
    raise AuthError(
        message=(
            f"{option}: {value!r} is not a duration; give seconds as a number (3600) or a string of numbers with units"
            " d, h, m, s ('1h', '30m', '1h30m')"
        ),
        option=option,
    )


def validate_min_validity(value, option="min_validity"):
    """``min_validity`` in seconds: a duration shorter than ECR's 12-hour token lifetime."""
    seconds = parse_duration(value, option)
    if seconds >= ECR_TOKEN_LIFETIME:
        raise AuthError(
            message=(
                f"{option}: {value!r} is {seconds} seconds, but an ECR token is valid for 12 hours, so every run would"
                " fetch a new one; give less than 12h (the default is 1h)"
            ),
            option=option,
        )
    return seconds


def iso8601(epoch):
    """``2026-11-23T12:00:00Z`` for an epoch; None stays None."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_of(value):
    """Seconds since the epoch from a datetime (botocore's expiresAt) or a number; None when neither."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return None


def fresh_token_expiry(expires_at, now):
    """``(epoch, source)`` for a token just issued: the response's expiresAt, or 12 hours from now.

    ECR documents a 12-hour token. A response whose ``expiresAt`` is missing or already past (moto
    always answers 2015-01-01) cannot be right for a token issued a moment ago, so the documented
    lifetime is recorded instead, marked ``assumed``.
    """
    epoch = epoch_of(expires_at)
    if epoch is not None and epoch > now:
        return epoch, "response"
    return int(now) + ECR_TOKEN_LIFETIME, "assumed"


def _b64decode_loose(text):
    """Bytes from standard or URL-safe base64, padded or not; None when ``text`` is not base64."""
    if not isinstance(text, str) or not text:
        return None
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    altchars = b"-_" if ("-" in compact or "_" in compact) else None
    try:
        return base64.b64decode(compact.encode("ascii"), altchars=altchars, validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def split_auth(auth):
    """``(username, password)`` from an ``auth`` value / authorization token, or None when it is not one."""
    raw = _b64decode_loose(auth)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    username, sep, password = text.partition(":")
    if not sep or not username or not password:
        return None
    return username, password


def decode_authorization_token(token):
    """``(username, password)`` from GetAuthorizationToken's ``authorizationToken``; AuthError when malformed."""
    parts = split_auth(token)
    if parts is None:
        # Never put the token itself in the message.
        raise AuthError(message="Failed to read the ECR authorization token: it is not base64 of 'user:password'")
    return parts


def make_auth(username, password):
    """The ``auth`` value docker and podman store: ``base64("user:password")``."""
    return base64.b64encode(f"{username}:{password}".encode("utf-8")).decode("ascii")


def password_expiry(password):
    """The ``expiration`` epoch a real ECR password carries (base64 JSON), or None for any other shape.

    Undocumented by AWS, so only used for stored tokens whose expiry the cache does not know.
    Milliseconds are recognised and converted.
    """
    raw = _b64decode_loose(password)
    if raw is None:
        return None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    expiration = document.get("expiration")
    if isinstance(expiration, str) and expiration.strip().isdigit():
        expiration = int(expiration.strip())
    if isinstance(expiration, bool) or not isinstance(expiration, (int, float)) or expiration <= 0:
        return None
    if expiration > 10**11:  # milliseconds
        expiration = expiration / 1000
    return int(expiration)


def auth_expiry(auth):
    """The expiry embedded in a stored ``auth`` value (see ``password_expiry``), or None."""
    parts = split_auth(auth)
    return password_expiry(parts[1]) if parts else None


def fingerprint(auth):
    """sha256 of an ``auth`` value: what the expiry cache keeps to recognise the entry it describes."""
    return hashlib.sha256(auth.encode("utf-8")).hexdigest()
