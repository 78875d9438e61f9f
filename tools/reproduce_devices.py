#!/usr/bin/env python3
"""Independent reproduction of docs/vectors/device-lists.json and docs/vectors/safety-numbers.json.

Written from docs/protocol.md alone (sections 1, 1.1, 2, 5, 7.1, 7.12's definitions, 8.1 and 8.2),
without reading any of the Rust sources or the other tools' code paths. Everything cryptographic
that decides an outcome is here on Python integers: Ed25519 point decoding (7.1 rule 1: y reduced
mod p, x recovered with the sign bit, x = 0 decodes whatever its sign bit), small order ([8]P is
the identity), S < L, the cofactorless equation with R compared by its bytes (rules 1 to 5), and
RFC 8032 key derivation and signing. `cryptography` is used only as a cross-check (Ed25519
public keys and signatures must agree with ours) and for X25519 public keys (RFC 7748).

What is checked:
  * section 2's table, parsed from docs/protocol.md: the two labels this script uses
    (DEVICE_LIST_SIGNATURE, SAFETY_NUMBER) are rows of it with these bytes, their ASCII, length
    and hex agree, and they start with `Sotto/1 `; section 1.1's table names 0x18 and 0x19;
  * each file's shape: exactly the fields this script knows (an unknown field or a missing one
    is a failure), lower-case hex of the lengths 8.1 / 8.2 give;
  * device lists (8.1): every list rebuilt from its inputs (account key seed, account id,
    version, creation time, per device its id, Ed25519 seed and X25519 private key): the
    account key, every 64-byte identity, the signed message, the signature and the list bytes;
    every list decoded by the decoder below (accepted, fields read back equal the inputs);
    every negative input refused with its validation ID and error, by checks run in 8.1's
    order (DEV-01 .. DEV-05);
  * safety numbers (8.2): `label`, `version`, `iterations` against the spec; per case the two
    public keys from the seeds, both fingerprints (5200 x SHA-512), both sides' digits, the 60
    digits, the display text and the byte form; swapping the sides gives the same digits; the
    byte form decodes back to (local, remote); every negative byte form refused with its ID in
    8.2's check order (DEV-SN-01 .. 04); the comparison of 8.2 gives each of its four results
    on forms built from the vector cases;
  * that every DEV- and DEV-SN- ID of section 5 has a negative case.

Usage: python3 tools/reproduce_devices.py [--self-test] [--vectors DIR] [--spec FILE]
  --vectors DIR  read device-lists.json and safety-numbers.json from DIR (default docs/vectors)
  --spec FILE    the protocol document (default docs/protocol.md)
  --self-test    also mutates in-memory copies of both files (a byte of every kind of field, a
                 number, an expected error, an unknown and a missing field) and asserts each is
                 reported, checks the verifier and decoders on crafted inputs, and checks that
                 5199 or 5201 iterations would not reproduce the fingerprints.
Exits non-zero on any mismatch.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import hmac
import json
import re
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VECTORS = ROOT / "docs" / "vectors"
DEFAULT_SPEC = ROOT / "docs" / "protocol.md"
DL_FILE = "device-lists.json"
SN_FILE = "safety-numbers.json"

# ---------------------------------------------------------------- constants of the spec
DEVICE_LIST_TAG = 0x18  # section 1.1
SAFETY_NUMBER_TAG = 0x19  # section 1.1
LABEL_NAMES = {"DEVICE_LIST_SIGNATURE": b"Sotto/1 device list", "SAFETY_NUMBER": b"Sotto/1 safety number"}
DEVICE_LIST_SIGNATURE = LABEL_NAMES["DEVICE_LIST_SIGNATURE"]
SAFETY_NUMBER = LABEL_NAMES["SAFETY_NUMBER"]
MAX_DEVICES = 32
HEADER_LEN = 67  # 1 + 16 + 32 + 8 + 8 + 2
ENTRY_LEN = 68  # 4 + 64
SIG_LEN = 64
SN_VERSION = 0x01
SN_ITERATIONS = 5200
SN_FORM_LEN = 66

# ---------------------------------------------------------------- Ed25519 on Python integers
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _pt(x: int, y: int):
    return (x % P, y % P, 1, x * y % P)


IDENTITY = _pt(0, 1)
_BY = 4 * pow(5, P - 2, P) % P


def _add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = b - a, dd - c, dd + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(k: int, p1):
    out = IDENTITY
    while k:
        if k & 1:
            out = _add(out, p1)
        p1 = _add(p1, p1)
        k >>= 1
    return out


def _neg(p1):
    x, y, z, t = p1
    return (-x % P, y, z, -t % P)


def _recover_x(y: int, sign: int) -> int | None:
    """x with x^2 = (y^2 - 1) / (d y^2 + 1) and the given sign bit; x = 0 whatever the sign."""
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    if x2 == 0:
        return 0  # rule 1: "a point with x = 0 decodes whatever its sign bit"
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if x & 1 != sign:
        x = P - x
    return x


B = _pt(_recover_x(_BY, 0), _BY)


def encode_point(p1) -> bytes:
    x, y, z, _ = p1
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def decode_point(b: bytes):
    """Rule 1 of 7.1: the low 255 bits are y reduced mod p; None if there is no x."""
    if len(b) != 32:
        return None
    n = int.from_bytes(b, "little")
    y = (n & ((1 << 255) - 1)) % P
    x = _recover_x(y, n >> 255)
    return None if x is None else _pt(x, y)


def small_order(p1) -> bool:
    x, y, z, _ = _mul(8, p1)
    return x % P == 0 and (y - z) % P == 0


@functools.lru_cache(maxsize=None)
def verify_strict(a: bytes, msg: bytes, sig: bytes) -> int | None:
    """Section 7.1's five rules in order; returns the first broken rule, None when accepted."""
    if len(a) != 32 or len(sig) != 64:
        return 1
    pa = decode_point(a)
    if pa is None:
        return 1
    if small_order(pa):
        return 2
    r, s = sig[:32], int.from_bytes(sig[32:], "little")
    if s >= L:
        return 3
    pr = decode_point(r)
    if pr is None or small_order(pr):
        return 4
    k = int.from_bytes(hashlib.sha512(r + a + msg).digest(), "little") % L
    if encode_point(_add(_mul(s, B), _neg(_mul(k, pa)))) != r:
        return 5
    return None


def _expand_seed(seed: bytes) -> tuple[int, bytes]:
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


@functools.lru_cache(maxsize=None)
def ed25519_public(seed: bytes) -> bytes:
    """RFC 8032 5.1.5, on our integers, cross-checked against `cryptography`."""
    a, _ = _expand_seed(seed)
    ours = encode_point(_mul(a, B))
    theirs = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if ours != theirs:
        raise AssertionError(f"Ed25519 public key of seed {seed.hex()}: ours {ours.hex()} != cryptography {theirs.hex()}")
    return ours


@functools.lru_cache(maxsize=None)
def ed25519_sign(seed: bytes, msg: bytes) -> bytes:
    """RFC 8032 5.1.6, on our integers, cross-checked against `cryptography`."""
    a, prefix = _expand_seed(seed)
    pub = encode_point(_mul(a, B))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % L
    rb = encode_point(_mul(r, B))
    k = int.from_bytes(hashlib.sha512(rb + pub + msg).digest(), "little") % L
    ours = rb + ((r + k * a) % L).to_bytes(32, "little")
    theirs = Ed25519PrivateKey.from_private_bytes(seed).sign(msg)
    if ours != theirs:
        raise AssertionError("Ed25519 signature: ours != cryptography")
    return ours


def x25519_public(priv: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x25519_canonical(k: bytes) -> bool:
    """HS-03 / 7 intro: the little-endian value is below p (which implies the top bit is clear)."""
    return len(k) == 32 and int.from_bytes(k, "little") < P


# ---------------------------------------------------------------- 8.1 device lists
class Refused(Exception):
    def __init__(self, vid: str, error: str, why: str):
        super().__init__(f"{vid} {error}: {why}")
        self.vid, self.error, self.why = vid, error, why


def encode_device_list_body(account_id: bytes, account_key: bytes, version: int, created_at: int,
                            devices: list[tuple[int, bytes]]) -> bytes:
    out = bytes([DEVICE_LIST_TAG]) + account_id + account_key + version.to_bytes(8, "big") \
        + created_at.to_bytes(8, "big") + len(devices).to_bytes(2, "big")
    for did, identity in devices:
        out += did.to_bytes(4, "big") + identity
    return out


def decode_device_list(data: bytes) -> dict:
    """8.1's decoding checks in their order; raises Refused with the first failing one."""
    first = data[0] if data else 0x00
    if first != DEVICE_LIST_TAG:  # 1
        raise Refused("DEV-01", "DeviceListError::UnknownVersion", f"first byte 0x{first:02x}")
    if len(data) < HEADER_LEN:  # 2
        raise Refused("DEV-02", "DeviceListError::Length", f"{len(data)} bytes < {HEADER_LEN}")
    n = int.from_bytes(data[65:67], "big")
    if not 1 <= n <= MAX_DEVICES:
        raise Refused("DEV-02", "DeviceListError::DeviceCount", f"n = {n}")
    if len(data) != HEADER_LEN + ENTRY_LEN * n + SIG_LEN:
        raise Refused("DEV-02", "DeviceListError::Length", f"{len(data)} bytes for n = {n}")
    account_key = data[17:49]
    if decode_point(account_key) is None:  # 3
        raise Refused("DEV-03", "DeviceListError::InvalidKey", "account key is not a point")
    entries = []
    for i in range(n):
        off = HEADER_LEN + ENTRY_LEN * i
        did = int.from_bytes(data[off:off + 4], "big")
        ident = data[off + 4:off + 68]
        if decode_point(ident[:32]) is None:
            raise Refused("DEV-03", "DeviceListError::InvalidKey", f"entry {i}: Ed25519 key is not a point")
        if not x25519_canonical(ident[32:]):
            raise Refused("DEV-03", "DeviceListError::InvalidKey", f"entry {i}: X25519 key not canonical")
        entries.append((did, ident))
    prev = 0  # 4: strictly increasing from at least 1
    for i, (did, _) in enumerate(entries):
        if did <= prev:
            raise Refused("DEV-04", "DeviceListError::DeviceIds", f"entry {i}: id {did} after {prev}")
        prev = did
    rule = verify_strict(account_key, DEVICE_LIST_SIGNATURE + data[:-SIG_LEN], data[-SIG_LEN:])  # 5
    if rule is not None:
        raise Refused("DEV-05", "DeviceListError::Signature", f"strict Ed25519 rule {rule} refuses")
    return {"account_id": data[1:17], "account_key": account_key,
            "version": int.from_bytes(data[49:57], "big"), "created_at": int.from_bytes(data[57:65], "big"),
            "devices": entries, "signature": data[-SIG_LEN:]}


def all_broken_checks(data: bytes) -> list[str]:
    """Every DEV check the input breaks when each is evaluated on its own (for the report on
    which orderings the vectors pin); only meaningful once DEV-01/02 pass."""
    out = []
    if (data[0] if data else 0) != DEVICE_LIST_TAG:
        out.append("DEV-01")
    if len(data) < HEADER_LEN:
        return out + ["DEV-02"]
    n = int.from_bytes(data[65:67], "big")
    if not 1 <= n <= MAX_DEVICES or len(data) != HEADER_LEN + ENTRY_LEN * n + SIG_LEN:
        return out + ["DEV-02"]
    ents = [data[HEADER_LEN + ENTRY_LEN * i:HEADER_LEN + ENTRY_LEN * (i + 1)] for i in range(n)]
    if decode_point(data[17:49]) is None or any(
            decode_point(e[4:36]) is None or not x25519_canonical(e[36:]) for e in ents):
        out.append("DEV-03")
    ids = [int.from_bytes(e[:4], "big") for e in ents]
    if ids[0] < 1 or any(b <= a for a, b in zip(ids, ids[1:])):
        out.append("DEV-04")
    if decode_point(data[17:49]) is None or verify_strict(
            data[17:49], DEVICE_LIST_SIGNATURE + data[:-64], data[-64:]) is not None:
        out.append("DEV-05")
    return out


# ---------------------------------------------------------------- 8.2 safety numbers
@functools.lru_cache(maxsize=None)
def fingerprint(key: bytes, account_id: bytes, iterations: int = SN_ITERATIONS) -> bytes:
    d = hashlib.sha512(SAFETY_NUMBER + bytes([SN_VERSION]) + key + account_id).digest()
    for _ in range(2, iterations + 1):
        d = hashlib.sha512(d + key).digest()
    return d[:32]


def side_digits(fp: bytes) -> str:
    return "".join(f"{int.from_bytes(fp[5 * i:5 * i + 5], 'big') % 100000:05d}" for i in range(6))


def number_digits(fp_a: bytes, fp_b: bytes) -> str:
    lo, hi = sorted([fp_a, fp_b])
    return side_digits(lo) + side_digits(hi)


def display(digits: str) -> str:
    return " ".join(digits[i:i + 5] for i in range(0, 60, 5))


def byte_form(local_fp: bytes, remote_fp: bytes) -> bytes:
    return bytes([SAFETY_NUMBER_TAG, SN_VERSION]) + local_fp + remote_fp


def decode_byte_form(data: bytes) -> tuple[bytes, bytes]:
    first = data[0] if data else 0x00
    if first != SAFETY_NUMBER_TAG:
        raise Refused("DEV-SN-01", "DecodeError::WrongTag", f"first byte 0x{first:02x}")
    if len(data) < SN_FORM_LEN:
        raise Refused("DEV-SN-02", "DecodeError::Truncated", f"{len(data)} bytes")
    if data[1] != SN_VERSION:
        raise Refused("DEV-SN-03", "DecodeError::UnknownVersion", f"version 0x{data[1]:02x}")
    if len(data) != SN_FORM_LEN:
        raise Refused("DEV-SN-04", "DecodeError::TrailingBytes", f"{len(data)} bytes")
    return data[2:34], data[34:66]


def compare(local_fp: bytes, remote_fp: bytes, scanned: bytes) -> str:
    own, peer = decode_byte_form(scanned)
    peer_ok = hmac.compare_digest(peer, local_fp)
    own_ok = hmac.compare_digest(own, remote_fp)
    return {(True, True): "Match", (False, True): "LocalSideDiffers",
            (True, False): "RemoteSideDiffers", (False, False): "BothDiffer"}[(peer_ok, own_ok)]


# ---------------------------------------------------------------- checking machinery
class Checker:
    def __init__(self):
        self.errors: list[str] = []
        self.checks = 0

    def eq(self, path: str, expected, got) -> bool:
        self.checks += 1
        if expected != got:
            self.errors.append(f"{path}: expected {expected!r}, got {got!r}")
            return False
        return True

    def fail(self, path: str, msg: str) -> None:
        self.checks += 1
        self.errors.append(f"{path}: {msg}")


def _shape(c: Checker, path: str, obj, fields: dict) -> bool:
    """fields: name -> ("hex", nbytes or None) | ("int", None) | ("str", None) | ("list", None)."""
    if not isinstance(obj, dict):
        c.fail(path, "not an object")
        return False
    ok = True
    for k in obj:
        if k not in fields:
            c.fail(path, f"unknown field {k!r}")
            ok = False
    for k, (kind, n) in fields.items():
        if k not in obj:
            c.fail(path, f"missing field {k!r}")
            ok = False
            continue
        v = obj[k]
        if kind == "hex":
            if not isinstance(v, str) or not re.fullmatch(r"(?:[0-9a-f]{2})*", v):
                c.fail(f"{path}.{k}", "not lower-case hex")
                ok = False
            elif n is not None and len(v) != 2 * n:
                c.fail(f"{path}.{k}", f"{len(v) // 2} bytes, expected {n}")
                ok = False
        elif kind == "int" and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            c.fail(f"{path}.{k}", "not a non-negative JSON integer")
            ok = False
        elif kind == "str" and not isinstance(v, str):
            c.fail(f"{path}.{k}", "not a string")
            ok = False
        elif kind == "list" and not isinstance(v, list):
            c.fail(f"{path}.{k}", "not a list")
            ok = False
    return ok


def _h(s: str) -> bytes:
    return bytes.fromhex(s)


# ---------------------------------------------------------------- the spec's tables
def check_spec(spec: str, c: Checker) -> None:
    sec2 = spec.split("\n## 2. Labels", 1)[1].split("\n## 3.", 1)[0]
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| `([^`]*)` \| (\d+) \| `([0-9a-f]+)` \|$", sec2, re.M)
    table = {}
    for name, ascii_, length, hx in rows:
        c.eq(f"protocol.md section 2: {name}: hex = ASCII", ascii_.encode().hex(), hx)
        c.eq(f"protocol.md section 2: {name}: length", len(ascii_.encode()), int(length))
        c.eq(f"protocol.md section 2: {name}: starts with 'Sotto/1 '", True, ascii_.startswith("Sotto/1 "))
        c.eq(f"protocol.md section 2: {name}: listed once", False, name in table)
        table[name] = bytes.fromhex(hx)
    c.eq("protocol.md section 2: labels used once", len(set(table.values())), len(table))
    for name, ours in LABEL_NAMES.items():
        c.eq(f"protocol.md section 2: {name}", ours.hex(), table.get(name, b"<absent>").hex())
    sec11 = spec.split("\n### 1.1 Type tags", 1)[1].split("\n## 2.", 1)[0]
    tags = dict(re.findall(r"^\| `0x([0-9a-f]{2})` \| `([A-Z_]+)` \|", sec11, re.M))
    c.eq("protocol.md 1.1: tag 0x18", "DEVICE_LIST", tags.get("18"))
    c.eq("protocol.md 1.1: tag 0x19", "SAFETY_NUMBER", tags.get("19"))
    sec5 = spec.split("\n## 5. Validation IDs", 1)[1].split("\n## 6.", 1)[0]
    # The IDs of 8.1 and 8.2 (other DEV- prefixes belong to later sections).
    ids = [i for i in re.findall(r"^\| (DEV-[A-Z0-9-]+) \|", sec5, re.M)
           if re.fullmatch(r"DEV-\d\d|DEV-SN-\d\d", i)]
    c.eq("protocol.md section 5: DEV IDs", ["DEV-01", "DEV-02", "DEV-03", "DEV-04", "DEV-05",
                                            "DEV-SN-01", "DEV-SN-02", "DEV-SN-03", "DEV-SN-04"], ids)


# ---------------------------------------------------------------- device-lists.json
DL_TOP = {"description": ("str", None), "lists": ("list", None), "negative": ("list", None)}
DL_LIST = {"name": ("str", None), "account_key_seed": ("hex", 32), "account_key": ("hex", 32),
           "account_id": ("hex", 16), "version": ("int", None), "created_at": ("int", None),
           "devices": ("list", None), "signed_message": ("hex", None), "signature": ("hex", 64),
           "device_list": ("hex", None)}
DL_DEVICE = {"device_id": ("int", None), "signing_seed": ("hex", 32), "identity_private": ("hex", 32),
             "identity": ("hex", 64)}
NEG = {"id": ("int", None), "validation_id": ("str", None), "comment": ("str", None), "input": ("hex", None),
       "expected_error": ("str", None)}


def _patch(b: bytes, off: int, new: bytes) -> bytes:
    return b[:off] + new + b[off + len(new):]


def _flip0(b: bytes, off: int) -> bytes:
    return _patch(b, off, bytes([b[off] ^ 0x01]))


def _entry(i: int) -> int:
    return HEADER_LEN + ENTRY_LEN * i


def build_dl_negative(comment: str, lists: list[dict]) -> bytes | None:
    """Rebuild a negative input of device-lists.json from its comment (what the comment says was
    done to the three-device list); None when the comment is not understood."""
    three = next(bytes.fromhex(x["device_list"]) for x in lists if len(x["devices"]) == 3)
    lists0_key = lists[0]["account_key"]
    y2 = (2).to_bytes(32, "little")
    if comment == "empty input":
        return b""
    m = re.fullmatch(r"the three-device list with its first byte replaced by .*?0x([0-9a-f]{2})(?: \(.*\))?", comment)
    if m:
        return _patch(three, 0, bytes.fromhex(m.group(1)))
    m = re.fullmatch(r"device count (\d+)(?: \(more than MAX_DEVICES = 32\)| with three entries)?", comment)
    if m:
        return _patch(three, 65, int(m.group(1)).to_bytes(2, "big"))
    m = re.fullmatch(r"the first two device ids set to (\d+), (\d+) \((?:out of order|repeated|a device id 0)\)", comment)
    if m:
        b = _patch(three, _entry(0), int(m.group(1)).to_bytes(4, "big"))
        return _patch(b, _entry(1), int(m.group(2)).to_bytes(4, "big"))
    fixed = {
        "the 66-byte header alone": lambda: three[:66],
        "the list without its last byte": lambda: three[:-1],
        "the list with one trailing zero byte": lambda: three + b"\x00",
        "account key y = 2, which is not on the curve": lambda: _patch(three, 17, y2),
        "the second device's X25519 key replaced by 0xff x 32 (not canonical)":
            lambda: _patch(three, _entry(1) + 36, b"\xff" * 32),
        "the first device's Ed25519 key y = 2 (not a point)": lambda: _patch(three, _entry(0) + 4, y2),
        "bit 0 of the first byte of the account id flipped": lambda: _flip0(three, 1),
        "bit 0 of the first byte of the version flipped": lambda: _flip0(three, 49),
        "bit 0 of the first byte of the creation time flipped": lambda: _flip0(three, 57),
        "bit 0 of byte 16 of the first device's Ed25519 key (still a point) flipped":
            lambda: _flip0(three, _entry(0) + 4 + 16),
        "bit 0 of the last byte of the signature flipped": lambda: _flip0(three, len(three) - 1),
        "the account key replaced by lists[0]'s (the list is not signed by it)":
            lambda: _patch(three, 17, bytes.fromhex(lists0_key)),
        "the version raised from 3 to 4 (a relay forging a newer list)":
            lambda: _patch(three, 49, (4).to_bytes(8, "big")),
    }
    return fixed[comment]() if comment in fixed else None


def build_sn_negative(comment: str, cases: list[dict]) -> bytes | None:
    """Rebuild a negative byte form of safety-numbers.json from its comment (case 1's form)."""
    f = bytes.fromhex(cases[0]["byte_form"])
    m = re.fullmatch(r"case 1's byte form with (first byte|version) 0x([0-9a-f]{2})", comment)
    if m:
        return _patch(f, 0 if m.group(1) == "first byte" else 1, bytes.fromhex(m.group(2)))
    fixed = {
        "empty input (counts as first byte 0x00)": b"",
        "the tag alone": bytes([SAFETY_NUMBER_TAG]),
        "case 1's byte form less its last byte": f[:-1],
        "tag, version and one fingerprint": f[:34],
        "case 1's byte form and one zero byte": f + b"\x00",
        "case 1's byte form twice": f + f,
    }
    return fixed.get(comment)


def check_device_lists(v: dict, c: Checker, stats: dict) -> None:
    if not _shape(c, DL_FILE, v, DL_TOP):
        return
    for li, x in enumerate(v["lists"]):
        p = f"{DL_FILE}: lists[{li}]"
        if not _shape(c, p, x, DL_LIST):
            continue
        if not all(_shape(c, f"{p}.devices[{di}]", d, DL_DEVICE) for di, d in enumerate(x["devices"])):
            continue
        seed = _h(x["account_key_seed"])
        akey = ed25519_public(seed)
        c.eq(f"{p}.account_key", x["account_key"], akey.hex())
        devs = []
        for di, d in enumerate(x["devices"]):
            ident = ed25519_public(_h(d["signing_seed"])) + x25519_public(_h(d["identity_private"]))
            c.eq(f"{p}.devices[{di}].identity", d["identity"], ident.hex())
            devs.append((d["device_id"], ident))
        body = encode_device_list_body(_h(x["account_id"]), akey, x["version"], x["created_at"], devs)
        msg = DEVICE_LIST_SIGNATURE + body
        c.eq(f"{p}.signed_message", x["signed_message"], msg.hex())
        sig = ed25519_sign(seed, msg)
        c.eq(f"{p}.signature", x["signature"], sig.hex())
        c.eq(f"{p}.device_list", x["device_list"], (body + sig).hex())
        c.eq(f"{p}: length 67 + 68n + 64", HEADER_LEN + ENTRY_LEN * len(devs) + SIG_LEN, len(x["device_list"]) // 2)
        try:
            got = decode_device_list(_h(x["device_list"]))
        except Refused as e:
            c.fail(f"{p}.device_list", f"refused: {e}")
        else:
            c.eq(f"{p}: decoded account_id", x["account_id"], got["account_id"].hex())
            c.eq(f"{p}: decoded account_key", x["account_key"], got["account_key"].hex())
            c.eq(f"{p}: decoded version", x["version"], got["version"])
            c.eq(f"{p}: decoded created_at", x["created_at"], got["created_at"])
            c.eq(f"{p}: decoded devices", [(d["device_id"], d["identity"]) for d in x["devices"]],
                 [(i, k.hex()) for i, k in got["devices"]])
            c.eq(f"{p}: decoded signature", x["signature"], got["signature"].hex())
            stats["accepted"] += 1
        stats["lists"] += 1
    seen = set()
    for ni, n in enumerate(v["negative"]):
        p = f"{DL_FILE}: negative[{ni}]"
        if not _shape(c, p, n, NEG):
            continue
        c.eq(f"{p}.id", ni + 1, n["id"])
        built = build_dl_negative(n["comment"], v["lists"])
        if built is None:
            c.fail(f"{p}.comment", f"not understood: {n['comment']!r}")
        else:
            c.eq(f"{p} (id {n['id']}): input rebuilt from the comment", built.hex(), n["input"])
        try:
            decode_device_list(_h(n["input"]))
        except Refused as e:
            c.eq(f"{p} (id {n['id']}): validation_id", n["validation_id"], e.vid)
            c.eq(f"{p} (id {n['id']}): expected_error", n["expected_error"], e.error)
            c.eq(f"{p} (id {n['id']}): its check is broken when evaluated alone", True,
                 n["validation_id"] in all_broken_checks(_h(n["input"])))
            seen.add(e.vid)
        else:
            c.fail(f"{p} (id {n['id']})", f"accepted, expected {n['validation_id']}")
        stats["refused"] += 1
    for vid in ["DEV-01", "DEV-02", "DEV-03", "DEV-04", "DEV-05"]:
        c.eq(f"{DL_FILE}: {vid} has a negative case", True, vid in seen)


# ---------------------------------------------------------------- safety-numbers.json
SN_TOP = {"description": ("str", None), "label": ("hex", None), "version": ("int", None),
          "iterations": ("int", None), "cases": ("list", None), "negative": ("list", None)}
SN_CASE = {"id": ("int", None), "comment": ("str", None),
           "local_seed": ("hex", 32), "local_key": ("hex", 32), "local_account_id": ("hex", 16),
           "remote_seed": ("hex", 32), "remote_key": ("hex", 32), "remote_account_id": ("hex", 16),
           "local_fingerprint": ("hex", 32), "remote_fingerprint": ("hex", 32),
           "local_digits": ("str", None), "remote_digits": ("str", None), "digits": ("str", None),
           "display": ("str", None), "byte_form": ("hex", 66)}


def check_safety_numbers(v: dict, c: Checker, stats: dict) -> None:
    if not _shape(c, SN_FILE, v, SN_TOP):
        return
    c.eq(f"{SN_FILE}: label", SAFETY_NUMBER.hex(), v["label"])
    c.eq(f"{SN_FILE}: version", SN_VERSION, v["version"])
    c.eq(f"{SN_FILE}: iterations", SN_ITERATIONS, v["iterations"])
    fps = {}  # case index -> (local_fp, remote_fp) as recomputed
    for ci, x in enumerate(v["cases"]):
        p = f"{SN_FILE}: cases[{ci}]"
        if not _shape(c, p, x, SN_CASE):
            continue
        c.eq(f"{p}.id", ci + 1, x["id"])
        lk, rk = ed25519_public(_h(x["local_seed"])), ed25519_public(_h(x["remote_seed"]))
        c.eq(f"{p}.local_key", x["local_key"], lk.hex())
        c.eq(f"{p}.remote_key", x["remote_key"], rk.hex())
        lf, rf = fingerprint(lk, _h(x["local_account_id"])), fingerprint(rk, _h(x["remote_account_id"]))
        c.eq(f"{p}.local_fingerprint", x["local_fingerprint"], lf.hex())
        c.eq(f"{p}.remote_fingerprint", x["remote_fingerprint"], rf.hex())
        c.eq(f"{p}.local_digits", x["local_digits"], side_digits(lf))
        c.eq(f"{p}.remote_digits", x["remote_digits"], side_digits(rf))
        dg = number_digits(lf, rf)
        c.eq(f"{p}.digits", x["digits"], dg)
        c.eq(f"{p}: digits with the sides swapped", dg, number_digits(rf, lf))
        c.eq(f"{p}.display", x["display"], display(dg))
        c.eq(f"{p}: display is 71 characters", 71, len(x["display"]))
        bf = byte_form(lf, rf)
        c.eq(f"{p}.byte_form", x["byte_form"], bf.hex())
        try:
            own, peer = decode_byte_form(_h(x["byte_form"]))
            c.eq(f"{p}: decoded byte form", (lf.hex(), rf.hex()), (own.hex(), peer.hex()))
            stats["accepted"] += 1
        except Refused as e:
            c.fail(f"{p}.byte_form", f"refused: {e}")
        fps[ci] = (lf, rf)
        stats["cases"] += 1
    seen = set()
    for ni, n in enumerate(v["negative"]):
        p = f"{SN_FILE}: negative[{ni}]"
        if not _shape(c, p, n, NEG):
            continue
        c.eq(f"{p}.id", ni + 1, n["id"])
        built = build_sn_negative(n["comment"], v["cases"])
        if built is None:
            c.fail(f"{p}.comment", f"not understood: {n['comment']!r}")
        else:
            c.eq(f"{p} (id {n['id']}): input rebuilt from the comment", built.hex(), n["input"])
        try:
            decode_byte_form(_h(n["input"]))
        except Refused as e:
            c.eq(f"{p} (id {n['id']}): validation_id", n["validation_id"], e.vid)
            c.eq(f"{p} (id {n['id']}): expected_error", n["expected_error"], e.error)
            seen.add(e.vid)
        else:
            c.fail(f"{p} (id {n['id']})", f"accepted, expected {n['validation_id']}")
        stats["refused"] += 1
    for vid in ["DEV-SN-01", "DEV-SN-02", "DEV-SN-03", "DEV-SN-04"]:
        c.eq(f"{SN_FILE}: {vid} has a negative case", True, vid in seen)
    check_structure_and_comparison(v, fps, c, stats)


def check_structure_and_comparison(v: dict, fps: dict, c: Checker, stats: dict) -> None:
    """What 8.2 says of the cases (1 and 2 one conversation, 5 with oneself, 4 changes one side)
    and the comparison's four results on forms built from the cases."""
    p = f"{SN_FILE}: comparison"
    if not all(i in fps for i in range(5)):
        c.fail(p, "needs cases 1 to 5 (8.2 names cases 1, 2 and 5)")
        return
    (a_loc, a_rem), (b_loc, b_rem), (_, carol), (a4_loc, bob_other_id), (s_loc, s_rem) = (fps[i] for i in range(5))
    cs = v["cases"]
    c.eq(f"{SN_FILE}: cases 1 and 2 are one conversation, sides swapped", (a_loc, a_rem), (b_rem, b_loc))
    c.eq(f"{SN_FILE}: cases 1 and 2 give the same digits", cs[0]["digits"], cs[1]["digits"])
    c.eq(f"{SN_FILE}: case 5 is a conversation with oneself", s_loc, s_rem)
    c.eq(f"{SN_FILE}: case 5 gives the same 30 digits twice", cs[4]["digits"][:30], cs[4]["digits"][30:])
    # Case 4: Alice with Bob's key under another account id; only Bob's 30 digits change.
    c.eq(f"{SN_FILE}: case 4 has case 1's local side", a_loc, a4_loc)
    c.eq(f"{SN_FILE}: case 4 has case 1's remote key", cs[0]["remote_key"], cs[3]["remote_key"])
    c.eq(f"{SN_FILE}: case 4 changes only the remote side", (cs[0]["local_digits"], True),
         (cs[3]["local_digits"], cs[0]["remote_digits"] != cs[3]["remote_digits"]))
    alice_scans = [  # Alice's device (case 1: local Alice, remote Bob) scans forms shown by "Bob"
        ("Bob's own form (case 2's byte form)", _h(cs[1]["byte_form"]), "Match"),
        ("Bob's device holding Carol's fingerprint for Alice", byte_form(b_loc, carol), "LocalSideDiffers"),
        ("a form from Bob's key under another account id", byte_form(bob_other_id, a_loc), "RemoteSideDiffers"),
        ("a man in the middle: both sides substituted", byte_form(bob_other_id, carol), "BothDiffer"),
    ]
    for desc, form, want in alice_scans:
        c.eq(f"{p}: Alice scans {desc}", want, compare(a_loc, a_rem, form))
        stats["comparisons"] += 1
    c.eq(f"{p}: Bob scans Alice's form (case 1's)", "Match", compare(b_loc, b_rem, _h(cs[0]["byte_form"])))
    c.eq(f"{p}: oneself scans own form (case 5)", "Match", compare(s_loc, s_rem, _h(cs[4]["byte_form"])))
    c.eq(f"{p}: Alice's device scans its own form", "BothDiffer" if a_loc != a_rem else "Match",
         compare(a_loc, a_rem, _h(cs[0]["byte_form"])))
    stats["comparisons"] += 3


# ---------------------------------------------------------------- running
def new_stats() -> dict:
    return {"lists": 0, "cases": 0, "accepted": 0, "refused": 0, "comparisons": 0}


def run_all(spec: str, dl: dict, sn: dict) -> tuple[Checker, dict]:
    c, stats = Checker(), new_stats()
    steps = ((check_spec, (spec, c)), (check_device_lists, (dl, c, stats)), (check_safety_numbers, (sn, c, stats)))
    for fn, args in steps:
        try:
            fn(*args)
        except (KeyError, TypeError, ValueError, IndexError, AssertionError, AttributeError) as e:
            c.fail(fn.__name__, f"cannot check: {type(e).__name__}: {e}")
    return c, stats


def _flip_hex(hx: str, i: int) -> str:
    b = bytearray.fromhex(hx)
    b[i % len(b)] ^= 0x01
    return b.hex()


def mutations() -> list[tuple[str, str, object]]:
    """(description, file, mutate(dict)); every one must be reported."""
    def at(path, fn):
        def f(w):
            o = w
            for k in path[:-1]:
                o = o[k]
            o[path[-1]] = fn(o[path[-1]])
        return f

    def delete(path):
        def f(w):
            o = w
            for k in path[:-1]:
                o = o[k]
            del o[path[-1]]
        return f

    fx = lambda i: (lambda s: _flip_hex(s, i))  # noqa: E731
    m = [
        ("flip account_key_seed byte 0", DL_FILE, at(["lists", 0, "account_key_seed"], fx(0))),
        ("flip account_key byte 5", DL_FILE, at(["lists", 1, "account_key"], fx(5))),
        ("flip account_id byte 15", DL_FILE, at(["lists", 1, "account_id"], fx(15))),
        ("version + 1", DL_FILE, at(["lists", 0, "version"], lambda x: x + 1)),
        ("created_at + 1", DL_FILE, at(["lists", 1, "created_at"], lambda x: x + 1)),
        ("device_id 5 -> 4", DL_FILE, at(["lists", 1, "devices", 2, "device_id"], lambda x: x - 1)),
        ("flip signing_seed byte 31", DL_FILE, at(["lists", 1, "devices", 1, "signing_seed"], fx(31))),
        ("flip identity_private byte 1", DL_FILE, at(["lists", 0, "devices", 0, "identity_private"], fx(1))),
        ("flip identity byte 40", DL_FILE, at(["lists", 0, "devices", 0, "identity"], fx(40))),
        ("flip signed_message byte 0", DL_FILE, at(["lists", 0, "signed_message"], fx(0))),
        ("flip signature byte 63", DL_FILE, at(["lists", 1, "signature"], fx(63))),
        ("flip device_list byte 100", DL_FILE, at(["lists", 1, "device_list"], fx(100))),
        ("negative: expected_error changed", DL_FILE, at(["negative", 7, "expected_error"],
                                                         lambda _: "DeviceListError::Length")),
        ("negative: validation_id changed", DL_FILE, at(["negative", 13, "validation_id"], lambda _: "DEV-05")),
        ("negative: flip the DEV-05 input back to the valid list", DL_FILE,
         lambda w: w["negative"][20].__setitem__("input", w["lists"][1]["device_list"])),
        ("negative: flip a byte of a DEV-05 input (still refused as DEV-05)", DL_FILE,
         at(["negative", 16, "input"], fx(100))),
        ("negative: flip a byte of a DEV-04 input (still refused as DEV-04)", DL_FILE,
         at(["negative", 14, "input"], fx(300))),
        ("negative: a comment not understood", DL_FILE, at(["negative", 4, "comment"], lambda s: s + "!")),
        ("unknown field in a list", DL_FILE, at(["lists", 0], lambda x: {**x, "extra": 1})),
        ("missing field signed_message", DL_FILE, delete(["lists", 0, "signed_message"])),
        ("unknown top-level field", DL_FILE, lambda w: w.__setitem__("extra", [])),
        ("drop every DEV-04 case", DL_FILE,
         lambda w: w.__setitem__("negative", [n for n in w["negative"] if n["validation_id"] != "DEV-04"])),
        ("label changed", SN_FILE, at(["label"], fx(3))),
        ("iterations 5201", SN_FILE, at(["iterations"], lambda x: x + 1)),
        ("version 2", SN_FILE, at(["version"], lambda _: 2)),
        ("flip local_seed byte 0", SN_FILE, at(["cases", 2, "local_seed"], fx(0))),
        ("flip remote_key byte 0", SN_FILE, at(["cases", 0, "remote_key"], fx(0))),
        ("flip local_account_id byte 3", SN_FILE, at(["cases", 3, "local_account_id"], fx(3))),
        ("flip remote_fingerprint byte 31", SN_FILE, at(["cases", 1, "remote_fingerprint"], fx(31))),
        ("local_digits digit changed", SN_FILE,
         at(["cases", 0, "local_digits"], lambda s: s[:-1] + str((int(s[-1]) + 1) % 10))),
        ("digits halves swapped", SN_FILE, at(["cases", 0, "digits"], lambda s: s[30:] + s[:30])),
        ("display with two spaces", SN_FILE, at(["cases", 4, "display"], lambda s: s.replace(" ", "  ", 1))),
        ("byte_form halves swapped", SN_FILE, at(["cases", 0, "byte_form"], lambda s: s[:4] + s[68:] + s[4:68])),
        ("flip byte_form byte 65", SN_FILE, at(["cases", 2, "byte_form"], fx(65))),
        ("negative: expected_error changed", SN_FILE, at(["negative", 8, "expected_error"],
                                                         lambda _: "DecodeError::TrailingBytes")),
        ("negative: a valid form", SN_FILE, lambda w: w["negative"][0].__setitem__("input", w["cases"][0]["byte_form"])),
        ("negative: flip a byte of a DEV-SN-04 input (still TrailingBytes)", SN_FILE,
         at(["negative", 11, "input"], fx(100))),
        ("negative: flip a byte of a DEV-SN-02 input (still Truncated)", SN_FILE,
         at(["negative", 7, "input"], fx(20))),
        ("unknown field in a case", SN_FILE, at(["cases", 1], lambda x: {**x, "qr": ""})),
        ("missing field display", SN_FILE, delete(["cases", 1, "display"])),
        ("missing top-level iterations", SN_FILE, delete(["iterations"])),
    ]
    return m


def self_test(spec: str, dl: dict, sn: dict) -> bool:
    ok = True
    muts = mutations()
    for desc, fname, mutate in muts:
        w = {DL_FILE: copy.deepcopy(dl), SN_FILE: copy.deepcopy(sn)}
        mutate(w[fname])
        c, _ = run_all(spec, w[DL_FILE], w[SN_FILE])
        if not c.errors:
            print(f"self-test: mutation NOT detected: {fname}: {desc}")
            ok = False
    # A spec whose table has another label bytes is detected.
    bad_spec = spec.replace("`Sotto/1 device list`", "`Sotto/1 device lists`")
    if not run_all(bad_spec, dl, sn)[0].errors:
        print("self-test: a changed section 2 label was NOT detected")
        ok = False
    # Crafted inputs for the verifier and decoders.
    x = dl["lists"][1]
    good = bytearray.fromhex(x["device_list"])
    seed = _h(x["account_key_seed"])
    crafted = []

    def resign(b: bytearray, s: bytes = seed) -> bytes:
        b = bytearray(b)
        b[-64:] = ed25519_sign(s, DEVICE_LIST_SIGNATURE + bytes(b[:-64]))
        return bytes(b)

    # small-order account key (the identity, y = 1): decodes (DEV-03 passes), refused at DEV-05.
    so = bytearray(good)
    so[17:49] = (1).to_bytes(32, "little")
    crafted.append(("account key = identity point (small order)", bytes(so), "DEV-05"))
    # non-canonical account key y + p (y = 1 + p encodes the identity too): still DEV-05, not DEV-03.
    nc = bytearray(good)
    nc[17:49] = (1 + P).to_bytes(32, "little")
    crafted.append(("account key y = 1 + p", bytes(nc), "DEV-05"))
    # S + L on a valid signature: rule 3.
    sl = bytearray(good)
    sl[-32:] = (int.from_bytes(good[-32:], "little") + L).to_bytes(32, "little")
    crafted.append(("S + L", bytes(sl), "DEV-05"))
    # re-signed list with 32 devices (largest size, accepted) and 33 (DEV-02).
    ident = _h(x["devices"][0]["identity"])
    hdr = bytes(good[:65])
    for n, want in ((32, None), (33, "DEV-02")):
        b = bytearray(hdr + n.to_bytes(2, "big") + b"".join((i + 1).to_bytes(4, "big") + ident for i in range(n))
                      + bytes(64))
        crafted.append((f"{n} devices, re-signed", resign(b), want))
    # DEV-03 is checked before DEV-04 (both broken, both in the same list), and small-order
    # device Ed25519 key decodes (only "an Ed25519 point" is required) and is signed: accepted.
    both = bytearray(good)
    both[103:135] = b"\xff" * 32
    both[67:71] = (0).to_bytes(4, "big")
    crafted.append(("device id 0 and non-canonical X25519 key", resign(both), "DEV-03"))
    sod = bytearray(good)
    sod[71:103] = (1).to_bytes(32, "little")
    crafted.append(("small-order device Ed25519 key, re-signed", resign(sod), None))
    crafted.append(("the valid list re-signed by our signer", resign(good), None))
    crafted.append(("the 67-byte header with n = 1", bytes(good[:65]) + b"\x00\x01", "DEV-02"))
    for desc, data, want in crafted:
        try:
            decode_device_list(data)
            got = None
        except Refused as e:
            got = e.vid
        if got != want:
            print(f"self-test: crafted device list '{desc}': got {got}, expected {want}")
            ok = False
    # The iteration count is pinned: 5199 or 5201 runs do not give case 1's fingerprint.
    cs = sn["cases"][0]
    k, i = _h(cs["local_key"]), _h(cs["local_account_id"])
    for n in (SN_ITERATIONS - 1, SN_ITERATIONS + 1):
        if fingerprint(k, i, n).hex() == cs["local_fingerprint"]:
            print(f"self-test: {n} iterations also reproduce the fingerprint")
            ok = False
    # Byte-form decoder order: a 65-byte form with a bad version is Truncated (02 before 03), a
    # 67-byte one with a bad version is UnknownVersion (03 before 04).
    form = _h(cs["byte_form"])
    for desc, data, want in (("65 bytes, version 2", b"\x19\x02" + form[2:65], "DEV-SN-02"),
                             ("67 bytes, version 2", b"\x19\x02" + form[2:] + b"\x00", "DEV-SN-03")):
        try:
            decode_byte_form(data)
            got = None
        except Refused as e:
            got = e.vid
        if got != want:
            print(f"self-test: crafted byte form '{desc}': got {got}, expected {want}")
            ok = False
    n = len(muts) + 1 + len(crafted) + 4
    print(f"self-test: {n} mutations and crafted inputs: {'all detected' if ok else 'SOME NOT DETECTED'}")
    return ok


def main(argv: list[str]) -> int:
    vectors, spec_path, st = DEFAULT_VECTORS, DEFAULT_SPEC, False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--self-test":
            st = True
        elif a in ("--vectors", "--spec") and args:
            val = Path(args.pop(0))
            if a == "--vectors":
                vectors = val
            else:
                spec_path = val
        else:
            print(__doc__)
            return 2
    t0 = time.monotonic()
    try:
        spec = spec_path.read_text(encoding="utf-8")
        dl = json.loads((vectors / DL_FILE).read_text(encoding="utf-8"))
        sn = json.loads((vectors / SN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"reproduce_devices: FAIL: cannot load: {e}")
        return 1
    c, s = run_all(spec, dl, sn)
    for e in c.errors:
        print(e)
    ok = not c.errors
    if st:
        ok &= self_test(spec, dl, sn)
    status = "OK" if ok else "FAIL"
    print(f"reproduce_devices: {status}: {c.checks} checks, {len(c.errors)} mismatch(es); "
          f"{s['lists']} device lists and {s['cases']} safety-number cases rebuilt, "
          f"{s['accepted']} encodings accepted, {s['refused']} negative vectors refused, "
          f"{s['comparisons']} comparisons ({time.monotonic() - t0:.2f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
