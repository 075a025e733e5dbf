"""Passwords, API tokens, session and CSRF tokens.

Passwords are hashed with argon2id (argon2-cffi's defaults: memory-hard, 64 MiB, salted per
password). API tokens and session tokens are random (256 bits) and stored only as their SHA-256:
a token is not a password a person chose, so a fast hash loses nothing against guessing and keeps
every API request cheap; whoever reads the database cannot use what is stored there.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

ROLES = ("admin", "unit")
ROLE_NAMES = {"admin": "部门财务（管理员）", "unit": "单位填报人员"}
MIN_PASSWORD = 8
TOKEN_PREFIX = "jst_"

_hasher = PasswordHasher()
# verified against when the account does not exist, so a wrong name costs what a wrong password does
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used (Chinese), or None."""
    if len(password) < MIN_PASSWORD:
        return f"密码太短：至少 {MIN_PASSWORD} 个字符"
    if password.strip() != password:
        return "密码的开头或结尾不能是空格"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (an argon2 hash); None (no such account) is never
    matched, but takes as long."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def new_token(prefix: str = TOKEN_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; None never matches."""
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())
