"""Passwords: hashed with Argon2id (argon2-cffi's ``PasswordHasher``, RFC 9106's recommended
variant), checked in constant time, rehashed on the next sign-in when the parameters change.

argon2-cffi because it wraps the reference implementation and encodes the parameters into each
hash, so a stored hash says whether it is out of date (``check_needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from cairn.errors import InvalidParameter

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_HASHER = PasswordHasher()
# Checked when the user does not exist (or has no password), so that answer takes as long as a
# wrong password: response time does not tell which user names exist. A hash made once with the
# hasher's parameters (of "cairn: no such user, compare anyway"), so importing this module, which
# every server start does, does not spend a whole Argon2 hash; made afresh only when the hasher's
# parameters are no longer the ones it was made with (the check must cost what a real one does).
_STORED_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$cAoejPcfzfKxTJbp3o1kCg$S2uuhC8Vz6LDDQ01hGeyTzTIhxUGW6gLYvzGUd5bfrA"
_DUMMY_HASH = (_HASHER.hash("cairn: no such user, compare anyway") if _HASHER.check_needs_rehash(_STORED_DUMMY_HASH)
               else _STORED_DUMMY_HASH)


def validate_password(password: object) -> str:
    """``InvalidParameter`` unless ``password`` is a string of an acceptable length."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidParameter(
            f"A password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long; "
            "use a passphrase or a generated secret."
        )
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(validate_password(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; None (no user, a service account) and a
    malformed hash never match, after the same work as a real check."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (rehash on sign-in)."""
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
