"""Console users in Redis, passwords hashed with scrypt (per-user salt).

    python -m console.users add NAME --role agent|supervisor|admin
    (password prompted, or read from stdin when it is not a terminal)
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import os
import sys
from dataclasses import dataclass

import redis

from bot.config import settings

USER_KEY = "hotline:console:user:{name}"
ROLES = ("agent", "supervisor", "admin")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def can_reveal(self) -> bool:
        return self.role in ("supervisor", "admin")


def hash_password(password: str, salt: bytes | None = None) -> dict[str, str | int]:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return {"salt": salt.hex(), "hash": digest.hex(), **_SCRYPT}


def check_password(password: str, record: dict[str, str | int]) -> bool:
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(str(record["salt"])), dklen=32,
        n=int(record["n"]), r=int(record["r"]), p=int(record["p"]),
    )
    return hmac.compare_digest(digest.hex(), str(record["hash"]))


class UserStore:
    def __init__(self, client: redis.Redis[bytes]) -> None:
        self._redis = client

    def add(self, name: str, password: str, role: str) -> User:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not name or len(password) < 8:
            raise ValueError("a name and a password of at least 8 characters are needed")
        record = {"name": name, "role": role, **hash_password(password)}
        self._redis.set(USER_KEY.format(name=name), json.dumps(record))
        return User(name, role)

    def _record(self, name: str) -> dict[str, str | int] | None:
        raw = self._redis.get(USER_KEY.format(name=name))
        return json.loads(raw) if raw else None

    def get(self, name: str) -> User | None:
        record = self._record(name)
        return User(str(record["name"]), str(record["role"])) if record else None

    def all(self, limit: int = 1000) -> list[User]:
        """Every console user, by name."""
        found = []
        for key in self._redis.scan_iter(match=USER_KEY.format(name="*"), count=200):
            raw = self._redis.get(key)
            if raw:
                record = json.loads(raw)
                found.append(User(str(record["name"]), str(record["role"])))
            if len(found) >= limit:
                break
        return sorted(found, key=lambda u: (ROLES.index(u.role) if u.role in ROLES else 9,
                                            u.name))

    def delete(self, name: str) -> bool:
        """Remove a user; their session cookie stops working at once."""
        return bool(self._redis.delete(USER_KEY.format(name=name)))

    def authenticate(self, name: str, password: str) -> User | None:
        record = self._record(name)
        if record is None:
            hash_password(password)  # same work whether or not the user exists
            return None
        if not check_password(password, record):
            return None
        return User(str(record["name"]), str(record["role"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.users")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create or replace a user")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    args = parser.parse_args(argv)
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("error: passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        user = UserStore(redis.Redis.from_url(settings().redis_url)).add(
            args.name, password, args.role
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"user {user.name} ({user.role}) saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
