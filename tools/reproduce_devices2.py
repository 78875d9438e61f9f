#!/usr/bin/env python3
"""Independent reproduction of docs/vectors/link.json, fan-out.json, trust.json and store.json.

Written from docs/protocol.md alone (sections 1, 1.1, 2, 4, 5, 7.5 and 8.3 to 8.6) by an outside
reviewer, without reading any Rust source or test. Reused from this repository's other docs-only
tools: the strict Ed25519 verifier, Ed25519 key derivation and signing, and the device-list
decoder of tools/reproduce_devices.py (8.1), and the session-pickle state parser of
tools/reproduce_ratchet.py (section 4's table). Everything else is here: the link code (bytes,
checksum, Crockford text), the link channel keys and message, the payload parser and the
DEV-LK checks, the trust decisions of 8.4, the fan-out encoder and decoder of 8.5, the store
keys, indexes, record envelope and a record loader for 8.6, and a minimal initial-message
decoder (7.5) for a session's pending setup.

What is checked:
  * section 2's table parsed from docs/protocol.md: every label this script uses
    (LINK_CODE_CHECKSUM, LINK_CHANNEL, STORE_KEYS, PICKLE_KEYS, DEVICE_LIST_SIGNATURE) is a row
    with these bytes; section 1.1's rows for every type tag used (0x11, 0x12, 0x13, 0x15, 0x17,
    0x18, 0x1a, 0x1b, 0x1c, 0x1d); section 5's DEV-LK-01..17, DEV-TR-01..08, DEV-FO-01..05
    rows, and that every expected error of a vector is named in the error column of its ID;
  * each file's shape: exactly the fields this script knows, of the sizes the spec gives
    (an unknown or a missing field fails);
  * link.json: per case every list, identity, code, checksum, text, peer key, payload, HKDF
    info, key, nonce, associated data and message rebuilt from the seeds and secrets; the code
    and text decode back; the message opens to the payload. Every negative input is rebuilt
    from its comment (so a changed byte is caught even where the refusal would not change) and
    run through the decoders in 8.3's order, compared with validation_id and expected_error;
  * fan-out.json: every fan-out encoded from its inputs and decoded back; every negative input
    rebuilt from its comment and refused by the decoder (8.5's order) with its ID and error;
  * trust.json: every list object rebuilt from its seeds and decoded (8.1); the held state
    restored, the operation run through 8.4's decision procedure, and the events, sending
    devices, refusal and state after compared;
  * store.json: IK and VK from SK; every index, context and value; every embedded pickle opened
    under VK with its context and re-sealed with its salt to the same bytes; every plaintext
    parsed by the table; the loader accepts the record set, and refuses every negative change
    for the reason its comment gives.

Usage: python3 tools/reproduce_devices2.py [--self-test] [--vectors DIR] [--spec FILE]
  --vectors DIR  read the four files from DIR (default docs/vectors)
  --spec FILE    the protocol document (default docs/protocol.md)
  --self-test    also applies seeded in-memory mutations (hex digits, numbers, an unknown and a
                 missing field) to each file and asserts each is reported.
Exits non-zero on any mismatch.
"""
from __future__ import annotations

import copy
import hashlib
import hmac as hmac_mod
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402

import reproduce_devices as rd  # noqa: E402
from reproduce_devices import Checker, Refused, decode_device_list, decode_point, x25519_canonical  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VECTORS = ROOT / "docs" / "vectors"
DEFAULT_SPEC = ROOT / "docs" / "protocol.md"
LK_FILE, FO_FILE, TR_FILE, ST_FILE = "link.json", "fan-out.json", "trust.json", "store.json"
PT_FILE = "device-plaintext.json"

LABELS = {
    "PICKLE_KEYS": b"Sotto/1 pickle keys",
    "DEVICE_LIST_SIGNATURE": b"Sotto/1 device list",
    "LINK_CODE_CHECKSUM": b"Sotto/1 link code checksum",
    "LINK_CHANNEL": b"Sotto/1 link channel",
    "STORE_KEYS": b"Sotto/1 store keys",
}
PICKLE_KEYS, LINK_CODE_CHECKSUM = LABELS["PICKLE_KEYS"], LABELS["LINK_CODE_CHECKSUM"]
LINK_CHANNEL, STORE_KEYS = LABELS["LINK_CHANNEL"], LABELS["STORE_KEYS"]
TAGS = {0x11: "STANDARD_MESSAGE", 0x12: "HEADER_ENCRYPTED_MESSAGE", 0x13: "INITIAL_MESSAGE",
        0x15: "SESSION_PICKLE", 0x17: "PREKEY_STORE_PICKLE", 0x18: "DEVICE_LIST", 0x1A: "LINK_CODE",
        0x1B: "LINK_MESSAGE", 0x1C: "FAN_OUT", 0x1D: "STORE_RECORD"}
T_STD, T_HE, T_INITIAL, T_SESSION, T_PREKEYS = 0x11, 0x12, 0x13, 0x15, 0x17
T_LINK_CODE, T_LINK_MESSAGE, T_FAN_OUT, T_STORE_RECORD = 0x1A, 0x1B, 0x1C, 0x1D
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SEPARATORS = " -\t\r\n"
CODE_LEN, CHECKSUM_LEN, TEXT_SYMBOLS = 97, 8, 168
LINK_MIN, LINK_MAX = 256, 60732
LIST_MIN, LIST_MAX, MAX_PEERS = 199, 2307, 1024
MAX_FAN_OUT_LEN, MAX_DEVICES = 2**26, 32
MAX_SESSIONS = 5
PICKLE_MAX = 2**25


# ---------------------------------------------------------------- primitives (section 1)
def hkdf(salt: bytes | None, ikm: bytes, info: bytes, n: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=salt, info=info).derive(ikm)


def hmac256(key: bytes, data: bytes) -> bytes:
    return hmac_mod.new(key, data, hashlib.sha256).digest()


def u16(x: int) -> bytes:
    return x.to_bytes(2, "big")


def u32(x: int) -> bytes:
    return x.to_bytes(4, "big")


def be(b: bytes) -> int:
    return int.from_bytes(b, "big")


def identity_of(signing_seed: bytes, identity_private: bytes) -> bytes:
    return rd.ed25519_public(signing_seed) + rd.x25519_public(identity_private)


def identity_decodes(ident: bytes) -> bool:
    """HS-03's rules: an Ed25519 point, then a canonical X25519 key."""
    return decode_point(ident[:32]) is not None and x25519_canonical(ident[32:64])


class Err(Exception):
    """A refusal: validation ID (or None) and the error name the vector files use."""

    def __init__(self, vid: str | None, error: str, why: str = ""):
        super().__init__(f"{vid} {error} {why}")
        self.vid, self.error, self.why = vid, error, why


# ---------------------------------------------------------------- section 4: the pickle envelope
def pickle_ad(tag: int, context: bytes) -> bytes:
    return bytes([tag]) + u16(len(context)) + context


def seal_pickle(tag: int, key: bytes, salt: bytes, context: bytes, state: bytes) -> bytes:
    okm = hkdf(salt, key, PICKLE_KEYS, 44)
    return bytes([tag]) + salt + ChaCha20Poly1305(okm[:32]).encrypt(okm[32:], state, pickle_ad(tag, context))


def open_pickle(tag: int, data: bytes, key: bytes, context: bytes) -> bytes:
    if not data or data[0] != tag:
        raise Err("PKL-01", "UnknownVersion")
    if len(data) < 33:
        raise Err("PKL-02", "Truncated")
    if len(data) > PICKLE_MAX:
        raise Err("PKL-05", "TooLong")
    okm = hkdf(data[1:17], key, PICKLE_KEYS, 44)
    try:
        return ChaCha20Poly1305(okm[:32]).decrypt(okm[32:], data[17:], pickle_ad(tag, context))
    except InvalidTag:
        raise Err("PKL-03", "WrongKeyOrCorrupted") from None


# ---------------------------------------------------------------- 8.3 link codes
def checksum(code: bytes) -> bytes:
    return hashlib.sha512(LINK_CODE_CHECKSUM + code).digest()[:CHECKSUM_LEN]


def code_text(code: bytes) -> str:
    data = code + checksum(code)
    n = be(data)
    syms = [ALPHABET[(n >> (5 * (TEXT_SYMBOLS - 1 - i))) & 31] for i in range(TEXT_SYMBOLS)]
    return "-".join("".join(syms[i:i + 4]) for i in range(0, TEXT_SYMBOLS, 4))


def code_from_bytes(b: bytes) -> tuple[bytes, bytes]:
    first = b[0] if b else 0
    if first != T_LINK_CODE:
        raise Err("DEV-LK-01", "CodeError::WrongTag")
    if len(b) < CODE_LEN:
        raise Err("DEV-LK-02", "CodeError::Truncated")
    if len(b) != CODE_LEN:
        raise Err("DEV-LK-03", "CodeError::TrailingBytes")
    if not identity_decodes(b[1:65]):
        raise Err("DEV-LK-04", "CodeError::InvalidIdentity")
    return b[1:65], b[65:97]


def code_from_text(t: str) -> tuple[bytes, bytes]:
    vals = []
    for off, ch in enumerate(t.encode("utf-8", "surrogatepass")):
        c = chr(ch)
        if c in SEPARATORS:
            continue
        u = c.upper() if "a" <= c <= "z" else c
        if u not in ALPHABET:
            raise Err("DEV-LK-05", "CodeError::BadCharacter", f"byte offset {off}")
        vals.append(ALPHABET.index(u))
    if len(vals) != TEXT_SYMBOLS:
        raise Err("DEV-LK-06", "CodeError::TextLength", f"{len(vals)} symbols")
    n = 0
    for v in vals:
        n = (n << 5) | v
    data = n.to_bytes(CODE_LEN + CHECKSUM_LEN, "big")
    if not hmac_mod.compare_digest(data[CODE_LEN:], checksum(data[:CODE_LEN])):
        raise Err("DEV-LK-07", "CodeError::Checksum")
    return code_from_bytes(data[:CODE_LEN])


def channel(secret: bytes, salt: bytes, ident: bytes) -> tuple[bytes, bytes, bytes]:
    info = LINK_CHANNEL + ident
    okm = hkdf(salt, secret, info, 44)
    return info, okm[:32], okm[32:44]


def seal_message(secret: bytes, ident: bytes, salt: bytes, payload: bytes) -> bytes:
    _, key, nonce = channel(secret, salt, ident)
    return bytes([T_LINK_MESSAGE]) + salt + ChaCha20Poly1305(key).encrypt(nonce, payload, bytes([T_LINK_MESSAGE]) + ident)


PEER_BYTES = 16 + 32 + 1 + 8  # 8.3: account id, account key, verified, u64be(min_version)


def encode_payload(account_id: bytes, device_id: int, dl: bytes, peers: list[tuple]) -> bytes:
    out = account_id + u32(device_id) + u16(len(dl)) + dl + u16(len(peers))
    for pid, pkey, ver, floor in peers:
        out += pid + pkey + bytes([ver]) + floor.to_bytes(8, "big")
    return out


def parse_payload(p: bytes, err: str = "LinkError::Payload") -> dict:
    """8.3's DEV-LK-12 sub-checks, in the order listed."""
    def bad(what: str):
        return Err("DEV-LK-12", f"{err}(PayloadError::{what})")
    if len(p) < 22:
        raise bad("Truncated")
    ln = be(p[20:22])
    if not LIST_MIN <= ln <= LIST_MAX:
        raise bad("ListLength")
    if len(p) < 22 + ln + 2:
        raise bad("Truncated")
    n = be(p[22 + ln:24 + ln])
    if n > MAX_PEERS:
        raise bad("TooManyPeers")
    want = 22 + ln + 2 + PEER_BYTES * n
    if len(p) < want:
        raise bad("Truncated")
    if len(p) > want:
        raise bad("TrailingBytes")
    peers = []
    for i in range(n):
        e = p[24 + ln + PEER_BYTES * i:24 + ln + PEER_BYTES * (i + 1)]
        if decode_point(e[16:48]) is None:
            raise bad("PeerKey")
        if e[48] not in (0, 1):
            raise bad("VerifiedFlag")
        peers.append((e[:16], e[16:48], e[48], be(e[49:57])))
    if len({x[0] for x in peers}) != len(peers):
        raise bad("DuplicatePeer")
    return {"account_id": p[:16], "device_id": be(p[16:20]), "device_list": p[22:22 + ln], "peers": peers}


def check_list_for(dl: dict, account_id: bytes, device_id: int, ident: bytes, prefix: str) -> None:
    """DEV-LK-14, 15, 16 on a decoded list."""
    if dl["account_id"] != account_id:
        raise Err("DEV-LK-14", f"{prefix}::AccountMismatch")
    if (device_id, ident) not in dl["devices"]:
        raise Err("DEV-LK-15", f"{prefix}::NotInList")
    for did, other in dl["devices"]:
        if did != device_id and (other[:32] == ident[:32] or other[32:] == ident[32:]):
            raise Err("DEV-LK-16", f"{prefix}::DuplicateIdentity")


class PendingLink:
    def __init__(self, ident: bytes, secret: bytes):
        self.ident, self.secret, self.used = ident, secret, False

    def open(self, m: bytes) -> dict:
        if self.used:
            raise Err("DEV-LK-08", "LinkError::AlreadyUsed")
        if (m[0] if m else 0) != T_LINK_MESSAGE:
            raise Err("DEV-LK-09", "LinkError::WrongTag")
        if len(m) < LINK_MIN:
            raise Err("DEV-LK-10", "LinkError::Truncated")
        if len(m) > LINK_MAX:
            raise Err("DEV-LK-10", "LinkError::TooLong")
        _, key, nonce = channel(self.secret, m[1:17], self.ident)
        try:
            p = ChaCha20Poly1305(key).decrypt(nonce, m[17:], bytes([T_LINK_MESSAGE]) + self.ident)
        except InvalidTag:
            raise Err("DEV-LK-11", "LinkError::Authentication") from None
        pl = parse_payload(p)
        try:
            dl = decode_device_list(pl["device_list"])
        except Refused as e:
            raise Err("DEV-LK-13", f"LinkError::DeviceList({e.error})") from None
        check_list_for(dl, pl["account_id"], pl["device_id"], self.ident, "LinkError")
        self.used = True
        pl["list"], pl["payload"] = dl, p
        return pl


def seal_check(ident: bytes, payload: bytes) -> None:
    """`seal`'s refusals in 8.3's order (DEV-LK-12 Peers, 14, 15, 16)."""
    try:
        pl = parse_payload(payload)
    except Err as e:
        if e.error.endswith(("TooManyPeers)", "DuplicatePeer)")):
            raise Err("DEV-LK-12", "SealError::Peers") from None
        raise Err(None, "SealError::<payload the primary would not build>") from None
    try:
        dl = decode_device_list(pl["device_list"])
    except Refused:
        raise Err(None, "SealError::<list the primary would not sign>") from None
    check_list_for(dl, pl["account_id"], pl["device_id"], ident, "SealError")


def check_not_listed(ident: bytes, current: bytes) -> None:
    dl = decode_device_list(current)
    for _, other in dl["devices"]:
        if other[:32] == ident[:32] or other[32:] == ident[32:]:
            raise Err("DEV-LK-17", "SealError::AlreadyListed")


# ---------------------------------------------------------------- 8.5 fan-out
def encode_fan_out(account_id: bytes, entries: list[tuple[int, bytes]]) -> bytes:
    out = bytes([T_FAN_OUT]) + account_id + bytes([len(entries)])
    for did, m in entries:
        out += u32(did) + u32(len(m)) + m
    return out


def decode_fan_out(b: bytes) -> tuple[bytes, list[tuple[int, bytes]]]:
    if (b[0] if b else 0) != T_FAN_OUT:
        raise Err("DEV-FO-01", "FanOutError::UnknownVersion")
    if len(b) > MAX_FAN_OUT_LEN or len(b) < 18:
        raise Err("DEV-FO-02", "FanOutError::Length")
    n = b[17]
    if not 1 <= n <= MAX_DEVICES:
        raise Err("DEV-FO-03", "FanOutError::Count")
    pos, prev, out = 18, 0, []
    for _ in range(n):
        if pos + 8 > len(b):
            raise Err("DEV-FO-02", "FanOutError::Length", "entry head")
        did, ln = be(b[pos:pos + 4]), be(b[pos + 4:pos + 8])
        if pos + 8 + ln > len(b):
            raise Err("DEV-FO-02", "FanOutError::Length", "entry body")
        if did <= prev:
            raise Err("DEV-FO-04", "FanOutError::DeviceIds")
        m = b[pos + 8:pos + 8 + ln]
        if not m or m[0] not in (T_STD, T_HE, T_INITIAL):
            raise Err("DEV-FO-05", "FanOutError::Message")
        out.append((did, m))
        prev, pos = did, pos + 8 + ln
    if pos != len(b):
        raise Err("DEV-FO-02", "FanOutError::Length", "trailing")
    return b[1:17], out


def setup_base(initial: bytes) -> bytes:
    """8.5: SHA-512 of every byte of an initial message before its ratchet message."""
    return hashlib.sha512(initial[:decode_initial(initial)]).digest()


# ---------------------------------------------------------------- 7.5 initial message (for 8.6's pending setup)
def decode_initial(b: bytes) -> int:
    """7.5's decoding in its order; returns the offset of the ratchet message."""
    if (b[0] if b else 0) != T_INITIAL:
        raise Err("HS-01", "UnknownVersion")
    if len(b) < 2:
        raise Err("HS-02", "Truncated")
    flags = b[1]
    if flags & ~0x03:
        raise Err("HS-03", "InvalidFlag")
    if len(b) < 66:
        raise Err("HS-02", "Truncated")
    if not identity_decodes(b[2:66]):
        raise Err("HS-03", "InvalidKey")
    if len(b) < 98:
        raise Err("HS-02", "Truncated")
    if not x25519_canonical(b[66:98]):
        raise Err("HS-03", "InvalidKey")
    pos = 98 + 4 + (4 if flags & 1 else 0)
    if flags & 2:
        if len(b) < pos + 1:
            raise Err("HS-02", "Truncated")
        if b[pos] not in (1, 2):
            raise Err("HS-03", "InvalidFlag")
        pos += 1 + 4 + 1088
    if len(b) < pos:
        raise Err("HS-02", "Truncated")
    r = b[pos:]
    if not r or r[0] not in (T_STD, T_HE):
        raise Err("HS-02", "RatchetMessage")
    fixed = 57 if r[0] == T_STD else 89
    if not fixed <= len(r) <= 2**24 + fixed:
        raise Err("HS-02", "RatchetMessage")
    return pos


# ---------------------------------------------------------------- 8.4 trust
class Trust:
    def __init__(self, pinned: bytes, verified: bool, lst: bytes | None, pending: bytes | None):
        self.pinned, self.verified, self.list, self.pending = pinned, verified, lst, pending

    def state(self) -> dict:
        return {"pinned_key": self.pinned.hex(), "verified": self.verified,
                "list": self.list.hex() if self.list is not None else None,
                "pending": self.pending.hex() if self.pending is not None else None}


def _diff(old: list | None, new: list) -> list[dict]:
    old = old or []
    newd, oldd = dict(new), dict(old)
    ev = [{"event": "DeviceRemoved", "device_id": d, "was_verified": None} for d, i in old if newd.get(d) != i]
    ev += [{"event": "DeviceAdded", "device_id": d, "was_verified": None} for d, i in new if oldd.get(d) != i]
    return ev


def observe(t: Trust | None, account_id: bytes, offered: bytes) -> tuple[Trust, list[dict]]:
    o = decode_device_list(offered)
    if o["account_id"] != account_id:
        raise Err("DEV-TR-01", "TrustError::WrongAccount")
    if t is None:  # pin_first_use
        return Trust(o["account_key"], False, offered, None), _diff(None, o["devices"])
    t = copy.copy(t)
    if o["account_key"] != t.pinned:
        if t.pending is not None:
            p = decode_device_list(t.pending)
            if p["account_key"] == o["account_key"]:
                if offered == t.pending:
                    return t, []
                if o["version"] > p["version"]:
                    t.pending = offered
                    return t, []
                if o["version"] < p["version"]:
                    raise Err("DEV-TR-02", "TrustError::RolledBack")
                raise Err("DEV-TR-03", "TrustError::Equivocation")
        was = t.verified
        t.pending, t.verified = offered, False
        return t, [{"event": "AccountKeyChanged", "device_id": None, "was_verified": was}]
    if t.list is None:
        t.list = offered
        return t, _diff(None, o["devices"])
    h = decode_device_list(t.list)
    if o["version"] < h["version"]:
        raise Err("DEV-TR-02", "TrustError::RolledBack")
    if o["version"] == h["version"]:
        if offered == t.list:
            return t, []
        raise Err("DEV-TR-03", "TrustError::Equivocation")
    newd = dict(o["devices"])
    for d, i in h["devices"]:
        if d in newd and newd[d] != i:
            raise Err("DEV-TR-04", "TrustError::DeviceKeySwapped")
    t.list = offered
    return t, _diff(h["devices"], o["devices"])


def accept_key_change(t: Trust) -> tuple[Trust, list[dict]]:
    if t.pending is None:
        raise Err("DEV-TR-07", "TrustError::NothingToAccept")
    p = decode_device_list(t.pending)
    old = decode_device_list(t.list)["devices"] if t.list is not None else None
    return Trust(p["account_key"], False, t.pending, None), _diff(old, p["devices"])


def mark_verified(t: Trust, key: bytes, comparison: str) -> Trust:
    if comparison != "Match" or key != t.pinned or t.pending is not None:
        raise Err("DEV-TR-07", "TrustError::NothingToAccept")
    t = copy.copy(t)
    t.verified = True
    return t


def observe_as_key_holder(t: Trust, account: bytes, offered: bytes, held: bytes) -> tuple[Trust, list[dict]]:
    """8.4: the account key holder refuses an own list signed by another key (DEV-TR-09)."""
    if decode_device_list(offered)["account_key"] != held:
        raise Err("DEV-TR-09", "TrustError::ForgedOwnList")
    return observe(t, account, offered)


def devices_for_sending(t: Trust) -> list[int]:
    if t.pending is not None:
        raise Err("DEV-TR-06", "TrustError::KeyChangePending")
    if t.list is None:
        raise Err("DEV-TR-08", "TrustError::NoDeviceList")
    return [d for d, _ in decode_device_list(t.list)["devices"]]


def check_device(t: Trust, device_id: int, ident: bytes) -> None:
    devs = dict(decode_device_list(t.list)["devices"]) if t.list is not None else {}
    if device_id not in devs:
        raise Err("DEV-TR-05", "TrustError::GhostDevice")
    if devs[device_id] != ident:
        raise Err("DEV-TR-04", "TrustError::DeviceKeySwapped")


# ---------------------------------------------------------------- 8.6 client store
def store_keys(sk: bytes) -> tuple[bytes, bytes]:
    okm = hkdf(None, sk, STORE_KEYS, 96)
    return okm[:32], okm[32:64]


def digest_key(sk: bytes) -> bytes:
    """8.6: DK = okm[64..96]."""
    return hkdf(None, sk, STORE_KEYS, 96)[64:]


def store_digest(dk: bytes, records: dict[tuple[int, bytes], bytes]) -> bytes:
    """8.6: XOR of HMAC-SHA256(DK, u8(kind) || index || value) over every record but kind 1."""
    d = bytes(32)
    for (kind, index), value in sorted(records.items()):
        if kind != 1:
            share = hmac256(dk, bytes([kind]) + index + value)
            d = bytes(a ^ b for a, b in zip(d, share))
    return d


def record_index(ik: bytes, kind: int, plain_key: bytes) -> bytes:
    return hmac256(ik, bytes([kind]) + plain_key)


class Corrupt(Exception):
    def __init__(self, reason: str, why: str = ""):
        super().__init__(f"{reason}: {why}")
        self.reason = reason


class Reader:
    def __init__(self, b: bytes):
        self.b, self.pos = b, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.b):
            raise Corrupt("length", f"{n} bytes at {self.pos} beyond the record")
        self.pos += n
        return self.b[self.pos - n:self.pos]

    def end(self) -> None:
        if self.pos != len(self.b):
            raise Corrupt("trailing", f"{len(self.b) - self.pos} trailing bytes")


def parse_plaintext(kind: int, index: bytes, pt: bytes, ik: bytes, vk: bytes) -> dict:
    """8.6's table, with the load checks; returns the fields and the embedded pickles."""
    ctx = bytes([kind]) + index
    r, out = Reader(pt), {"embedded": []}
    if kind == 1:
        if r.take(1) != b"\x01":
            raise Corrupt("version")
        out["account_id"], out["device_id"] = r.take(16), be(r.take(4))
        flags = r.take(1)[0]
        if flags & ~0x03:
            raise Corrupt("flags")
        out["flags"] = flags
        out["seed"] = r.take(32) if flags & 1 else None
        out["generation"] = be(r.take(8))
        out["digest"] = r.take(32)
        out["plain_key"] = b""
    elif kind == 2:
        state = open_embedded(T_PREKEYS, pt, vk, ctx + b"\x00")
        if len(state) < 64:
            raise Corrupt("embedded", "prekey store state shorter than its identity")
        out["identity"] = identity_of(state[:32], state[32:64])
        out["embedded"].append((0, ctx + b"\x00", pt, state))
        out["plain_key"] = b""
        r.pos = len(pt)
    elif kind == 3:
        if r.take(1) != b"\x01":
            raise Corrupt("version")
        flags = r.take(1)[0]
        if flags & ~0x0F or (flags & 8 and flags & 2):
            raise Corrupt("flags")
        out["flags"] = flags
        out["account_id"] = out["plain_key"] = r.take(16)
        out["pinned"] = r.take(32)
        if decode_point(out["pinned"]) is None:
            raise Corrupt("pinned key", "not an Ed25519 point")
        out["list"] = out["pending"] = None
        for bit, name in ((2, "list"), (4, "pending")):
            if flags & bit:
                raw = r.take(be(r.take(2)))
                try:
                    dl = decode_device_list(raw)
                except Refused as e:
                    raise Corrupt("list", e.vid) from None
                if dl["account_id"] != out["account_id"]:
                    raise Corrupt("list account")
                if (dl["account_key"] == out["pinned"]) != (name == "list"):
                    raise Corrupt("list key", name)
                out[name] = raw
                out[name + "_decoded"] = dl
        # 8.6: bit 3, a linked peer's version floor (only without a list, never 0).
        out["floor"] = be(r.take(8)) if flags & 8 else 0
        if flags & 8 and out["floor"] == 0:
            raise Corrupt("floor", "a floor of 0 is never written")
    elif kind == 4:
        out["plain_key"] = r.take(20)
        out["account_id"], out["device_id"] = out["plain_key"][:16], be(out["plain_key"][16:])
        if r.take(1) != b"\x01":
            raise Corrupt("version")
        n = r.take(1)[0]
        if not 1 <= n <= MAX_SESSIONS:
            raise Corrupt("session count", str(n))
        out["sessions"] = []
        for pos in range(n):
            flags = r.take(1)[0]
            if flags & ~0x03:
                raise Corrupt("flags")
            s = {"flags": flags, "initial": None, "setup_base": None}
            if flags & 1:
                s["initial"] = r.take(be(r.take(4)))
                try:
                    decode_initial(s["initial"])
                except Err as e:
                    raise Corrupt("pending setup", e.vid) from None
            if flags & 2:
                s["setup_base"] = r.take(64)
            pk = r.take(be(r.take(4)))
            state = open_embedded(T_SESSION, pk, vk, ctx + bytes([pos]))
            out["embedded"].append((pos, ctx + bytes([pos]), pk, state))
            out["sessions"].append(s)
    else:
        raise Corrupt("kind", str(kind))
    r.end()
    if record_index(ik, kind, out["plain_key"]) != index:
        raise Corrupt("plain key", "the plain key does not give the index")
    return out


def open_embedded(tag: int, pk: bytes, vk: bytes, ctx: bytes) -> bytes:
    try:
        state = open_pickle(tag, pk, vk, ctx)
    except Err as e:
        raise Corrupt("embedded", e.vid) from None
    if tag == T_SESSION:
        try:
            import reproduce_ratchet as rr
            rr.parse_state(state)
        except Exception as e:  # noqa: BLE001 - any refusal of the state is a corrupt store
            raise Corrupt("embedded", f"session state: {e}") from None
    return state


def load_store(sk: bytes, records: dict[tuple[int, bytes], bytes]) -> dict:
    """Device::open as 8.6 describes it: every record checked, or Corrupt."""
    ik, vk = store_keys(sk)
    empty = {k: record_index(ik, k, b"") for k in (1, 2)}
    parsed = {}
    for (kind, index), value in sorted(records.items()):
        if kind in (1, 2) and index != empty[kind]:
            raise Corrupt("stray", f"kind {kind} at another index")
        try:
            pt = open_pickle(T_STORE_RECORD, value, vk, bytes([kind]) + index)
        except Err as e:
            raise Corrupt("open", e.vid) from None
        parsed[(kind, index)] = parse_plaintext(kind, index, pt, ik, vk)
        parsed[(kind, index)]["plaintext"] = pt
    for k in (1, 2):
        if (k, empty[k]) not in parsed:
            raise Corrupt("missing", f"kind {k}")
    dev = parsed[(1, empty[1])]
    own = (3, record_index(ik, 3, dev["account_id"]))
    if own not in parsed:
        raise Corrupt("missing", "own account")
    if store_digest(digest_key(sk), records) != dev["digest"]:
        raise Corrupt("digest", "a record was put back, deleted or added")
    return parsed


# ---------------------------------------------------------------- shapes
def _shape(c: Checker, path: str, obj, fields: dict) -> bool:
    """fields: name -> (kind, n); kinds hex, int, str, list, bool, any, hex|null, int|null, ..."""
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
        kinds = kind.split("|")
        if v is None and "null" in kinds:
            continue
        good = False
        for kd in kinds:
            if kd == "hex" and isinstance(v, str) and re.fullmatch(r"(?:[0-9a-f]{2})*", v) and (n is None or len(v) == 2 * n):
                good = True
            elif kd == "int" and isinstance(v, int) and not isinstance(v, bool) and v >= 0:
                good = True
            elif kd == "str" and isinstance(v, str):
                good = True
            elif kd == "list" and isinstance(v, list):
                good = True
            elif kd == "obj" and isinstance(v, dict):
                good = True
            elif kd == "bool" and isinstance(v, bool):
                good = True
        if not good:
            c.fail(f"{path}.{k}", f"not {kind}" + (f" of {n} bytes" if n else ""))
            ok = False
    return ok


def H(s: str) -> bytes:
    return bytes.fromhex(s)


def _run(fn, *a):
    try:
        return None, fn(*a)
    except Err as e:
        return e, None


def expect_refusal(c: Checker, p: str, neg: dict, fn, *a) -> None:
    try:
        fn(*a)
        c.fail(p, f"accepted; expected {neg['validation_id']} {neg['expected_error']}")
    except Err as e:
        c.eq(f"{p}: validation_id", neg["validation_id"], e.vid)
        c.eq(f"{p}: expected_error", neg["expected_error"], e.error)
    except Refused as e:
        c.fail(p, f"refused by the device-list decoder {e.vid}, expected {neg['validation_id']}")


# ---------------------------------------------------------------- spec tables
def check_spec(spec: str, c: Checker, errors_by_id: dict) -> None:
    sec2 = spec.split("\n## 2. Labels", 1)[1].split("\n## 3.", 1)[0]
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \| `([^`]*)` \| (\d+) \| `([0-9a-f]+)` \|$", sec2, re.M)
    table = {}
    for name, ascii_, length, hx in rows:
        c.eq(f"protocol.md 2: {name}: hex = ASCII", ascii_.encode().hex(), hx)
        c.eq(f"protocol.md 2: {name}: length", len(ascii_.encode()), int(length))
        c.eq(f"protocol.md 2: {name}: prefix", True, ascii_.startswith("Sotto/1 "))
        table[name] = bytes.fromhex(hx)
    c.eq("protocol.md 2: distinct labels", len(set(table.values())), len(table))
    for name, ours in LABELS.items():
        c.eq(f"protocol.md 2: {name}", ours.hex(), table.get(name, b"<absent>").hex())
    sec11 = spec.split("\n### 1.1 Type tags", 1)[1].split("\n## 2.", 1)[0]
    # Case-insensitive: the table writes 0x1C and 0x1D in upper case (section 1 says lower).
    tags = {int(t, 16): name for t, name in re.findall(r"^\| `0x([0-9a-fA-F]{2})` \| `([A-Z_]+)` \|", sec11, re.M)}
    for tag, name in TAGS.items():
        c.eq(f"protocol.md 1.1: tag {tag:#04x}", name, tags.get(tag))
    sec5 = spec.split("\n## 5. Validation IDs", 1)[1].split("\n## 6.", 1)[0]
    for vid, _check, err in re.findall(r"^\| (DEV-(?:LK|TR|FO|PT)-\d\d) \| (.*) \| (.*) \|$", sec5, re.M):
        errors_by_id[vid] = re.findall(r"`([^`]+)`", err)
    for prefix, n in (("DEV-LK", 17), ("DEV-TR", 9), ("DEV-FO", 5), ("DEV-PT", 2)):
        want = [f"{prefix}-{i:02d}" for i in range(1, n + 1)]
        c.eq(f"protocol.md 5: {prefix} IDs", want, sorted(k for k in errors_by_id if k.startswith(prefix)))
    # Section 5's DEV-01..05 errors, for DEV-LK-13's inner error.
    for vid, err in re.findall(r"^\| (DEV-0\d) \| .* \| (.*) \|$", sec5, re.M):
        errors_by_id[vid] = re.findall(r"`([^`]+)`", err)


def error_named(errors_by_id: dict, vid: str, error: str) -> bool:
    """Is `error` (as a vector writes it) in section 5's error column of `vid`? The column writes
    the first name in full (with module) and later ones as bare variants of the same type."""
    names = errors_by_id.get(vid, [])
    outer = error.split("(", 1)[0]
    typ, _, var = outer.rpartition("::")
    full = []
    last_type = None
    for nm in names:
        if "::" in nm:
            t, _, v = nm.rpartition("::")
            last_type = t
            full.append((t.split("::")[-1], v))
        elif last_type:
            full.append((last_type.split("::")[-1], nm))
    if (typ.split("::")[-1], var) not in full:
        return False
    if "(" in error and vid == "DEV-LK-13":
        inner = error.split("(", 1)[1].rstrip(")")
        return any(error_named(errors_by_id, f"DEV-0{i}", inner) for i in range(1, 6))
    return True


# ---------------------------------------------------------------- link.json
LK_TOP = {"description": ("str", None), "checksum_label": ("hex", None), "channel_label": ("hex", None),
          "alphabet": ("str", None), "cases": ("list", None), "negative": ("list", None)}
LK_CASE = {"id": ("int", None), "comment": ("str", None), "account_key_seed": ("hex", 32), "account_key": ("hex", 32),
           "account_id": ("hex", 16), "version": ("int", None), "created_at": ("int", None), "devices": ("list", None),
           "new_device_id": ("int", None), "new_identity": ("hex", 64), "link_secret": ("hex", 32),
           "code": ("hex", 97), "checksum": ("hex", 8), "text": ("str", None), "device_list": ("hex", None),
           "peers": ("list", None), "salt": ("hex", 16), "hkdf_info": ("hex", 84), "aead_key": ("hex", 32),
           "nonce": ("hex", 12), "associated_data": ("hex", 65), "payload": ("hex", None), "message": ("hex", None)}
DEVICE = {"device_id": ("int", None), "signing_seed": ("hex", 32), "identity_private": ("hex", 32), "identity": ("hex", 64)}
PEER = {"account_id": ("hex", 16), "account_key_seed": ("hex", 32), "account_key": ("hex", 32), "verified": ("bool", None),
        "min_version": ("int", None)}
LK_NEG = {"id": ("int", None), "validation_id": ("str", None), "comment": ("str", None), "operation": ("str", None),
          "input": ("hex", None), "input_text": ("str", None), "expected_error": ("str", None)}


def rebuild_list(c: Checker, p: str, x: dict) -> bytes:
    """A list from its 8.1 inputs: account key, identities, signature; compared with the file."""
    seed = H(x["account_key_seed"])
    c.eq(f"{p}.account_key", x["account_key"], rd.ed25519_public(seed).hex())
    devs = []
    for j, d in enumerate(x["devices"]):
        if _shape(c, f"{p}.devices[{j}]", d, DEVICE):
            ident = identity_of(H(d["signing_seed"]), H(d["identity_private"]))
            c.eq(f"{p}.devices[{j}].identity", d["identity"], ident.hex())
            devs.append((d["device_id"], ident))
    body = rd.encode_device_list_body(H(x["account_id"]), rd.ed25519_public(seed), x["version"], x["created_at"], devs)
    out = body + rd.ed25519_sign(seed, rd.DEVICE_LIST_SIGNATURE + body)
    c.eq(f"{p}.device_list", x["device_list"], out.hex())
    try:
        decode_device_list(out)
    except Refused as e:
        c.fail(p, f"rebuilt list refused: {e}")
    return out


def lk_case(c: Checker, p: str, x: dict, stats: dict) -> dict:
    dl = rebuild_list(c, p, x)
    ident = H(x["new_identity"])
    c.eq(f"{p}: new device in the list", True, (x["new_device_id"], ident.hex()) in
         [(d["device_id"], d["identity"]) for d in x["devices"]])
    secret = H(x["link_secret"])
    code = bytes([T_LINK_CODE]) + ident + secret
    c.eq(f"{p}.code", x["code"], code.hex())
    c.eq(f"{p}.checksum", x["checksum"], checksum(code).hex())
    text = code_text(code)
    c.eq(f"{p}.text", x["text"], text)
    c.eq(f"{p}: text length", 209, len(text))
    for what, got in (("bytes", _run(code_from_bytes, code)), ("text", _run(code_from_text, x["text"])),
                      ("lower-case text", _run(code_from_text, x["text"].lower().replace("-", " \t\r\n")))):
        c.eq(f"{p}: code from {what}", (ident, secret), got[1])
    peers = []
    for j, q in enumerate(x["peers"]):
        if _shape(c, f"{p}.peers[{j}]", q, PEER):
            c.eq(f"{p}.peers[{j}].account_key", q["account_key"], rd.ed25519_public(H(q["account_key_seed"])).hex())
            peers.append((H(q["account_id"]), H(q["account_key"]), int(q["verified"]), q["min_version"]))
    payload = encode_payload(H(x["account_id"]), x["new_device_id"], dl, peers)
    c.eq(f"{p}.payload", x["payload"], payload.hex())
    salt = H(x["salt"])
    info, key, nonce = channel(secret, salt, ident)
    c.eq(f"{p}.hkdf_info", x["hkdf_info"], info.hex())
    c.eq(f"{p}.aead_key", x["aead_key"], key.hex())
    c.eq(f"{p}.nonce", x["nonce"], nonce.hex())
    c.eq(f"{p}.associated_data", x["associated_data"], (bytes([T_LINK_MESSAGE]) + ident).hex())
    msg = seal_message(secret, ident, salt, payload)
    c.eq(f"{p}.message", x["message"], msg.hex())
    c.eq(f"{p}: message length in 256..60732", True, LINK_MIN <= len(msg) <= LINK_MAX)
    err, got = _run(PendingLink(ident, secret).open, msg)
    c.eq(f"{p}: open", None, err and str(err))
    if got:
        c.eq(f"{p}: opened payload", (H(x["account_id"]), x["new_device_id"], dl, peers),
             (got["account_id"], got["device_id"], got["device_list"], got["peers"]))
    c.eq(f"{p}: seal accepts", None, _run(seal_check, ident, payload)[0] and "refused")
    stats["link"] += 1
    return {"code": code, "text": x["text"], "ident": ident, "secret": secret, "payload": payload, "message": msg,
            "x": x}


def _patch(b: bytes, off: int, new: bytes) -> bytes:
    return b[:off] + new + b[off + len(new):]


def _xor(b: bytes, off: int, bit: int = 1) -> bytes:
    return _patch(b, off, bytes([b[off] ^ bit]))


def lk_negative_expectations(c1: dict, c2: dict) -> dict:
    """comment -> (operation, expected input bytes or predicate, expected input_text or predicate)."""
    code, text, msg, P = c1["code"], c1["text"], c1["message"], c1["payload"]
    x = c1["x"]
    ln = be(P[20:22])
    peer0 = 24 + ln
    seed = H(x["account_key_seed"])
    devs = [(d["device_id"], H(d["identity"])) for d in x["devices"]]
    ident = c1["ident"]

    def signed(dv):
        body = rd.encode_device_list_body(H(x["account_id"]), rd.ed25519_public(seed), x["version"], x["created_at"], dv)
        return body + rd.ed25519_sign(seed, rd.DEVICE_LIST_SIGNATURE + body)

    def with_list(dlb):
        return P[:20] + u16(len(dlb)) + dlb + P[22 + ln:]

    lacks = with_list(signed([d for d in devs if d[1] != ident]))
    twice = with_list(signed([d for d in devs if d[1] != ident] + [(2, ident), (3, ident)]))

    def opens_to(payload, secret=c1["secret"], salt=None, not_salt=None):
        def f(m: bytes) -> bool:
            try:
                if salt is not None and m[1:17] != salt:
                    return False
                if not_salt is not None and m[1:17] == not_salt:
                    return False
                _, key, nonce = channel(secret, m[1:17], ident)
                return ChaCha20Poly1305(key).decrypt(nonce, m[17:], bytes([T_LINK_MESSAGE]) + ident) == payload
            except (InvalidTag, ValueError, IndexError):
                return False
        return f

    S5A = b"\x5a" * 16
    sealed = lambda pl: opens_to(pl, salt=S5A)  # noqa: E731
    n0 = text.replace("-", "")
    t_ok = lambda pred: (lambda s: pred(s))  # noqa: E731
    y2 = (2).to_bytes(32, "little")
    return {
        "empty input": [("code_bytes", b"", ""), ("open", b"", "")],
        "case 1's code with the link message's tag 0x1b": [("code_bytes", _patch(code, 0, b"\x1b"), "")],
        "case 1's code without its last byte": [("code_bytes", code[:-1], "")],
        "case 1's code with one trailing zero byte": [("code_bytes", code + b"\x00", "")],
        "the identity's Ed25519 key y = 2 (not a point)": [("code_bytes", _patch(code, 1, y2), "")],
        "the identity's X25519 key 0xff x 32 (not canonical)": [("code_bytes", _patch(code, 33, b"\xff" * 32), "")],
        "case 1's text with its first symbol replaced by the letter O (not in the alphabet)":
            [("code_text", b"", "O" + text[1:])],
        "case 1's text with a '+' at byte 5": [("code_text", b"", text[:5] + "+" + text[6:])],
        "case 1's text without its last symbol": [("code_text", b"", text[:-1])],
        "case 1's text with one more symbol":
            [("code_text", b"", t_ok(lambda s: s[:-1] == text and s[-1] in ALPHABET))],
        "case 1's text with its last symbol changed (a typo in the checksum)":
            [("code_text", b"", t_ok(lambda s: len(s) == len(text) and s[:-1] == text[:-1]
                                     and s[-1] in ALPHABET and s[-1] != text[-1]))],
        "case 1's text with the symbols at bytes 0 and 1 swapped":
            [("code_text", b"", text[1] + text[0] + text[2:])] if n0[0] != n0[1] else [],
        "case 1's message a second time, after it opened": [("open_twice", msg, "")],
        "a second message sealed under the same link secret (another salt), after case 1's opened":
            [("open_twice", opens_to(P, not_salt=msg[1:17]), "")],
        "case 1's message with the link code's tag 0x1a": [("open", _patch(msg, 0, b"\x1a"), "")],
        "the first 255 bytes of case 1's message (shorter than the shortest, 256)": [("open", msg[:255], "")],
        "0x1b and 60732 zero bytes (one more than the longest message)": [("open", b"\x1b" + bytes(60732), "")],
        "case 2's message (another link secret and identity)": [("open", c2["message"], "")],
        "case 1's payload sealed for the same identity under another link secret (0x33 x 32)":
            [("open", opens_to(P, secret=b"\x33" * 32), "")],
        "case 1's message with bit 0 of the first byte of the salt flipped": [("open", _xor(msg, 1), "")],
        "case 1's message with bit 0 of the first byte of the ciphertext flipped": [("open", _xor(msg, 17), "")],
        "case 1's message with bit 0 of the last byte of the tag flipped":
            [("open", _xor(msg, len(msg) - 1), "")],
        "case 1's message with a trailing zero byte": [("open", msg + b"\x00", "")],
        "case 1's payload with the list length 2307 (the bytes end inside the list), sealed correctly":
            [("open", sealed(_patch(P, 20, u16(2307))), "")],
        "case 1's payload with the list length 198 (shorter than a one-device list), sealed correctly":
            [("open", sealed(_patch(P, 20, u16(198))), "")],
        "case 1's payload with the list length 2308, sealed correctly": [("open", sealed(_patch(P, 20, u16(2308))), "")],
        "case 1's payload with a peer count of 1025, sealed correctly":
            [("open", sealed(_patch(P, 22 + ln, u16(1025))), "")],
        "case 1's payload with the last byte of the last peer's version floor missing, sealed correctly":
            [("open", sealed(P[:-1]), "")],
        "case 1's payload with a trailing zero byte after the last peer, sealed correctly":
            [("open", sealed(P + b"\x00"), "")],
        "case 1's payload with the first peer's account key y = 2 (not a point), sealed correctly":
            [("open", sealed(_patch(P, peer0 + 16, y2)), "")],
        "case 1's payload with the first peer's verified flag 0x02, sealed correctly":
            [("open", sealed(_patch(P, peer0 + 48, b"\x02")), "")],
        "case 1's payload with the second peer with the first peer's account id, sealed correctly":
            [("open", sealed(_patch(P, peer0 + PEER_BYTES, P[peer0:peer0 + 16])), "")],
        "case 1's payload with the last byte of the list's signature flipped, sealed correctly":
            [("open", sealed(_xor(P, 22 + ln - 1)), "")],
        "case 1's payload with the list's tag 0x19, sealed correctly": [("open", sealed(_patch(P, 22, b"\x19")), "")],
        "case 1's payload with bit 0 of the account id flipped, sealed correctly": [("open", sealed(_xor(P, 0)), "")],
        "case 1's payload assigning device id 1 (the primary's), sealed correctly":
            [("open", sealed(_patch(P, 16, u32(1))), "")],
        "a payload whose list (signed by the account key) lacks the new device, sealed correctly":
            [("open", sealed(lacks), "")],
        "a payload whose list holds the new device's identity under ids 2 and 3, sealed correctly":
            [("open", sealed(twice), "")],
        "seal: case 1's payload with another account id":
            [("seal", lambda b: len(b) == len(P) and b[16:] == P[16:] and b[:16] != P[:16], "")],
        "seal: case 1's payload assigning device id 1": [("seal", _patch(P, 16, u32(1)), "")],
        "seal: a list with the new device under ids 2 and 3": [("seal", twice, "")],
        "check_not_listed: case 1's new list (which already holds the device) as the current list":
            [("check_not_listed", H(x["device_list"]), "")],
    }


def check_link(v: dict, c: Checker, stats: dict, errs: dict) -> None:
    if not _shape(c, LK_FILE, v, LK_TOP):
        return
    c.eq(f"{LK_FILE}.checksum_label", LINK_CODE_CHECKSUM.hex(), v["checksum_label"])
    c.eq(f"{LK_FILE}.channel_label", LINK_CHANNEL.hex(), v["channel_label"])
    c.eq(f"{LK_FILE}.alphabet", ALPHABET, v["alphabet"])
    built = []
    for i, x in enumerate(v["cases"]):
        p = f"{LK_FILE}.cases[{i}]"
        if _shape(c, p, x, LK_CASE):
            c.eq(f"{p}.id", i + 1, x["id"])
            built.append(lk_case(c, p, x, stats))
    if len(built) < 2:
        c.fail(LK_FILE, "negative cases need cases 1 and 2")
        return
    exp = lk_negative_expectations(built[0], built[1])
    c1 = built[0]
    seen = set()
    for i, n in enumerate(v["negative"]):
        p = f"{LK_FILE}.negative[{i}]"
        if not _shape(c, p, n, LK_NEG):
            continue
        c.eq(f"{p}.id", i + 1, n["id"])
        c.eq(f"{p}: error named in section 5", True, error_named(errs, n["validation_id"], n["expected_error"]))
        seen.add(n["validation_id"])
        inp, txt, op = H(n["input"]), n["input_text"], n["operation"]
        ok_shape = False
        for eop, ein, etxt in exp.get(n["comment"], []):
            if eop != op:
                continue
            a = ein(inp) if callable(ein) else ein == inp
            b = etxt(txt) if callable(etxt) else etxt == txt
            ok_shape |= bool(a and b)
        if not ok_shape:
            c.fail(p, f"input not the one its comment describes ({n['comment']!r}, {op})")
        if op == "code_bytes":
            expect_refusal(c, p, n, code_from_bytes, inp)
        elif op == "code_text":
            expect_refusal(c, p, n, code_from_text, txt)
        elif op == "open":
            expect_refusal(c, p, n, PendingLink(c1["ident"], c1["secret"]).open, inp)
        elif op == "open_twice":
            pl = PendingLink(c1["ident"], c1["secret"])
            c.eq(f"{p}: first open", None, _run(pl.open, c1["message"])[0] and "refused")
            expect_refusal(c, p, n, pl.open, inp)
        elif op == "seal":
            expect_refusal(c, p, n, seal_check, c1["ident"], inp)
        elif op == "check_not_listed":
            expect_refusal(c, p, n, check_not_listed, c1["ident"], inp)
        else:
            c.fail(p, f"unknown operation {op!r}")
            continue
        if op in ("open", "open_twice") and n["validation_id"] not in ("DEV-LK-08", "DEV-LK-09", "DEV-LK-10", "DEV-LK-11"):
            # 8.3: a refusal changes nothing, the genuine message still opens.
            pl = PendingLink(c1["ident"], c1["secret"])
            _run(pl.open, inp)
            c.eq(f"{p}: genuine message opens after the refusal", None, _run(pl.open, c1["message"])[0] and "refused")
        stats["refused"] += 1
    c.eq(f"{LK_FILE}: DEV-LK IDs covered", [f"DEV-LK-{i:02d}" for i in range(1, 18)], sorted(seen))


# ---------------------------------------------------------------- fan-out.json
FO_TOP = {"description": ("str", None), "max_fan_out_len": ("int", None), "fan_outs": ("list", None),
          "negative": ("list", None)}
FO_CASE = {"name": ("str", None), "account_id": ("hex", 16), "entries": ("list", None), "fan_out": ("hex", None)}
FO_ENTRY = {"device_id": ("int", None), "message": ("hex", None)}
FO_THREE = "three entries: a standard (0x11), an initial (0x13) and a header-encrypted (0x12) message"
FO_NEG = {"id": ("int", None), "validation_id": ("str", None), "comment": ("str", None), "input": ("hex", None),
          "pad_to": ("int", None), "expected_error": ("str", None)}


def fo_expectations(F: bytes) -> dict:
    """comment -> (input, pad_to), built from the three-entry fan-out F (entries at 18, 86, 214)."""
    e1, e2, e3 = 18, 18 + 8 + be(F[22:26]), 0
    e3 = e2 + 8 + be(F[e2 + 4:e2 + 8])
    big = MAX_FAN_OUT_LEN + 1
    cnt = lambda n: _patch(F, 17, bytes([n]))  # noqa: E731
    return {
        "empty input": (b"", 0),
        "the three-entry fan-out with its first byte replaced by the unversioned byte 0x01": (_patch(F, 0, b"\x01"), 0),
        "the three-entry fan-out with its first byte replaced by a device list's tag 0x18": (_patch(F, 0, b"\x18"), 0),
        "the three-entry fan-out with its first byte replaced by an initial message's tag 0x13": (_patch(F, 0, b"\x13"), 0),
        "the three-entry fan-out with its first byte replaced by tag 0x2C (format version 2)": (_patch(F, 0, b"\x2c"), 0),
        "over-long: the three-entry fan-out followed by zero bytes up to 2^26 + 1 bytes": (F, big),
        "over-long and count 0: the length (check 2) decides before the count (check 3)": (cnt(0), big),
        "the 17 bytes before the count (shorter than the 18-byte header)": (F[:17], 0),
        "the 18-byte header alone with count 0": (F[:17] + b"\x00", 0),
        "count 0 before the three entries": (cnt(0), 0),
        "count 33 (more than MAX_DEVICES = 32) before the three entries": (cnt(33), 0),
        "count 255": (cnt(255), 0),
        "truncated head: the header alone with count 1 (no entry head)": (F[:17] + b"\x01", 0),
        "truncated head: the fan-out cut 5 bytes into the second entry's 8-byte head": (F[:e2 + 5], 0),
        "truncated body: the fan-out without its last byte (the third message is one byte short)": (F[:-1], 0),
        "truncated body: the first entry's len raised to 0xffffffff": (_patch(F, e1 + 4, b"\xff" * 4), 0),
        "count 4 with three entries: the fourth entry's head is missing": (cnt(4), 0),
        "truncated body and device id 0 in the first entry: the length decides before the id":
            (_patch(F, e1, u32(0) + b"\xff" * 4), 0),
        "device id 0 in the first entry": (_patch(F, e1, u32(0)), 0),
        "decreasing ids: the second entry's id 2 replaced by 0xffffffff (above the third's 7)":
            (_patch(F, e2, b"\xff" * 4), 0),
        "a repeated id: the third entry's id 7 replaced by 2": (_patch(F, e3, u32(2)), 0),
        "device id 0 and a message tag 0x14 in the first entry: the id decides before the message":
            (_patch(_patch(F, e1, u32(0)), e1 + 8, b"\x14"), 0),
        "empty message: one entry, device id 1, len 0": (F[:17] + b"\x01" + u32(1) + u32(0), 0),
        "the second entry's message starts with a prekey bundle's tag 0x14": (_patch(F, e2 + 8, b"\x14"), 0),
        "the second entry's message starts with a fan-out's own tag 0x1C": (_patch(F, e2 + 8, b"\x1c"), 0),
        "the second entry's message starts with the unversioned byte 0x01": (_patch(F, e2 + 8, b"\x01"), 0),
        "the second entry's message starts with tag 0x21 (format version 2)": (_patch(F, e2 + 8, b"\x21"), 0),
        "trailing bytes: the three-entry fan-out with one zero byte appended": (F + b"\x00", 0),
        "count 2 with three entries: the third entry is trailing bytes": (cnt(2), 0),
    }


def check_fan_out(v: dict, c: Checker, stats: dict, errs: dict) -> None:
    if not _shape(c, FO_FILE, v, FO_TOP):
        return
    c.eq(f"{FO_FILE}.max_fan_out_len", MAX_FAN_OUT_LEN, v["max_fan_out_len"])
    three = None
    for i, x in enumerate(v["fan_outs"]):
        p = f"{FO_FILE}.fan_outs[{i}]"
        if not _shape(c, p, x, FO_CASE):
            continue
        ents = []
        for j, e in enumerate(x["entries"]):
            if _shape(c, f"{p}.entries[{j}]", e, FO_ENTRY):
                ents.append((e["device_id"], H(e["message"])))
        fo = encode_fan_out(H(x["account_id"]), ents)
        c.eq(f"{p}.fan_out", x["fan_out"], fo.hex())
        err, got = _run(decode_fan_out, fo)
        c.eq(f"{p}: decodes", None, err and str(err))
        c.eq(f"{p}: decoded back", (H(x["account_id"]), ents), got)
        tags = [m[0] for _, m in ents]
        # 8.5's Vectors paragraph names the three fan-outs; the names are pinned as written.
        if x["name"] == "one entry":
            c.eq(f"{p}: one entry", 1, len(ents))
        elif x["name"] == FO_THREE:
            c.eq(f"{p}: tags 0x11, 0x13, 0x12", [0x11, 0x13, 0x12], tags)
            three = fo
        elif x["name"] == "32 entries (MAX_DEVICES)":
            c.eq(f"{p}: 32 entries", 32, len(ents))
        else:
            c.fail(p, f"fan-out name not understood: {x['name']!r}")
        stats["fan_out"] += 1
    if three is None:
        c.fail(FO_FILE, "no three-entry fan-out to build the negative cases from")
        return
    exp = fo_expectations(three)
    seen, order = set(), []
    for i, n in enumerate(v["negative"]):
        p = f"{FO_FILE}.negative[{i}]"
        if not _shape(c, p, n, FO_NEG):
            continue
        c.eq(f"{p}.id", i + 1, n["id"])
        c.eq(f"{p}: error named in section 5", True, error_named(errs, n["validation_id"], n["expected_error"]))
        inp = H(n["input"])
        want = exp.get(n["comment"])
        if want is None:
            c.fail(p, f"comment not understood: {n['comment']!r}")
        else:
            c.eq(f"{p}: input as its comment says", want[0].hex(), inp.hex())
            c.eq(f"{p}.pad_to", want[1], n["pad_to"])
        if n["pad_to"]:
            if n["pad_to"] < len(inp):
                c.fail(p, "pad_to below the input length")
            inp = inp + bytes(n["pad_to"] - len(inp))
        expect_refusal(c, p, n, decode_fan_out, inp)
        seen.add(n["validation_id"])
        order.append(n["validation_id"])
        stats["refused"] += 1
    c.eq(f"{FO_FILE}: DEV-FO IDs covered", [f"DEV-FO-{i:02d}" for i in range(1, 6)], sorted(seen))


# ---------------------------------------------------------------- trust.json
TR_TOP = {"description": ("str", None), "cases": ("list", None)}
LIST_OBJ = {"account_key_seed": ("hex", 32), "account_key": ("hex", 32), "account_id": ("hex", 16),
            "version": ("int", None), "created_at": ("int", None), "devices": ("list", None), "device_list": ("hex", None)}
TR_CASE = {"id": ("int", None), "validation_id": ("str|null", None), "comment": ("str", None),
           "account_id": ("hex", 16), "held": ("obj|null", None), "operation": ("str", None),
           "offered_list": ("obj|null", None), "device_id": ("int|null", None), "identity": ("hex|null", 64),
           "compared_key": ("hex|null", 32), "comparison": ("str|null", None), "events": ("list", None),
           "sending_to": ("list|null", None), "expected_error": ("str|null", None), "state": ("obj", None)}
HELD = {"pinned_key": ("hex", 32), "verified": ("bool", None), "list": ("obj|null", None), "pending": ("obj|null", None)}
STATE = {"pinned_key": ("hex", 32), "verified": ("bool", None), "list": ("hex|null", None), "pending": ("hex|null", None)}
EVENT = {"event": ("str", None), "device_id": ("int|null", None), "was_verified": ("bool|null", None)}
COMPARISONS = ("Match", "LocalSideDiffers", "RemoteSideDiffers", "BothDiffer")


def list_obj(c: Checker, p: str, x) -> bytes | None:
    if x is None:
        return None
    if not _shape(c, p, x, LIST_OBJ):
        raise ValueError(f"{p}: bad list object")
    return rebuild_list(c, p, x)


def check_trust(v: dict, c: Checker, stats: dict, errs: dict) -> None:
    if not _shape(c, TR_FILE, v, TR_TOP):
        return
    seen = set()
    # Every identity a check_device case offers is a device of some list object of the file.
    known = {d.get("identity") for x in v["cases"] if isinstance(x, dict)
             for lo in [x.get("offered_list")] + ([x["held"].get("list"), x["held"].get("pending")]
                                                  if isinstance(x.get("held"), dict) else [])
             if isinstance(lo, dict) for d in lo.get("devices", []) if isinstance(d, dict)}
    for i, x in enumerate(v["cases"]):
        p = f"{TR_FILE}.cases[{i}]"
        if not _shape(c, p, x, TR_CASE):
            continue
        c.eq(f"{p}.id", i + 1, x["id"])
        op = x["operation"]
        h = x["held"]
        if h is not None and not _shape(c, f"{p}.held", h, HELD):
            continue
        _shape(c, f"{p}.state", x["state"], STATE)
        for j, e in enumerate(x["events"]):
            _shape(c, f"{p}.events[{j}]", e, EVENT)
        acct = H(x["account_id"])
        if x["identity"] is not None and x["identity"] not in known:
            c.fail(p, "identity offered is no device of any list of the file")
        t = None
        if h is not None:
            t = Trust(H(h["pinned_key"]), h["verified"], list_obj(c, f"{p}.held.list", h["list"]),
                      list_obj(c, f"{p}.held.pending", h["pending"]))
            for nm in ("list", "pending"):
                raw = getattr(t, nm)
                if raw is not None:
                    dl = decode_device_list(raw)
                    c.eq(f"{p}.held.{nm}: of the account", acct, dl["account_id"])
                    c.eq(f"{p}.held.{nm}: signed by the pinned key", nm == "list", dl["account_key"] == t.pinned)
        # Operation inputs: only those of the operation, the others null (8.4's table).
        uses = {"observe": {"offered_list"}, "check_device": {"device_id", "identity"},
                "mark_verified": {"compared_key", "comparison"},
                "observe_as_key_holder": {"offered_list", "compared_key"}}.get(op, set())
        if op not in ("observe", "observe_as_key_holder", "check_device", "devices_for_sending",
                      "accept_key_change", "mark_verified"):
            c.fail(p, f"unknown operation {op!r}")
            continue
        for f in ("offered_list", "device_id", "identity", "compared_key", "comparison"):
            c.eq(f"{p}.{f} null unless {op} uses it", f not in uses, x[f] is None)
        if x["comparison"] is not None and x["comparison"] not in COMPARISONS:
            c.fail(p, f"comparison {x['comparison']!r} not one of 8.2's")
        if t is None and op != "observe":
            c.fail(p, f"{op} with nothing held")
            continue
        events, sending, after = [], None, t
        try:
            if op == "observe":
                after, events = observe(t, acct, list_obj(c, f"{p}.offered_list", x["offered_list"]))
            elif op == "observe_as_key_holder":
                after, events = observe_as_key_holder(
                    t, acct, list_obj(c, f"{p}.offered_list", x["offered_list"]), H(x["compared_key"]))
            elif op == "accept_key_change":
                after, events = accept_key_change(t)
            elif op == "mark_verified":
                after = mark_verified(t, H(x["compared_key"]), x["comparison"])
            elif op == "devices_for_sending":
                sending = devices_for_sending(t)
            else:
                check_device(t, x["device_id"], H(x["identity"]))
            err = None
        except Err as e:
            err = e
        except Refused as e:
            c.fail(p, f"a list is refused by 8.1's decoder: {e}")
            continue
        c.eq(f"{p}.validation_id", x["validation_id"], err and err.vid)
        c.eq(f"{p}.expected_error", x["expected_error"], err and err.error)
        if x["expected_error"] is not None:
            c.eq(f"{p}: error named in section 5", True,
                 error_named(errs, x["validation_id"] or "", x["expected_error"]))
            seen.add(x["validation_id"])
        c.eq(f"{p}.events", x["events"], events)
        c.eq(f"{p}.sending_to", x["sending_to"], sending)
        state = (after or t).state() if err is None else t.state()
        c.eq(f"{p}.state", x["state"], state)
        stats["trust"] += 1
    c.eq(f"{TR_FILE}: DEV-TR IDs covered", [f"DEV-TR-{i:02d}" for i in range(1, 10)], sorted(seen))


# ---------------------------------------------------------------- store.json
ST_TOP = {"description": ("str", None), "store_key": ("hex", 32), "label": ("hex", None), "index_key": ("hex", 32),
          "value_key": ("hex", 32), "digest_key": ("hex", 32), "script": ("list", None), "account_id": ("hex", 16), "device_id": ("int", None),
          "records": ("list", None), "negative": ("list", None)}
ST_REC = {"kind": ("int", None), "kind_name": ("str", None), "plain_key": ("hex", None), "index": ("hex", 32),
          "context": ("hex", 33), "plaintext": ("hex", None), "salt": ("hex", 16), "value": ("hex", None),
          "embedded_pickles": ("list", None)}
ST_EMB = {"slot": ("int", None), "context": ("hex", 34), "pickle": ("hex", None)}
ST_NEG = {"id": ("int", None), "comment": ("str", None), "operation": ("str", None), "kind": ("int", None),
          "index": ("hex", 32), "value": ("hex", None), "expected_error": ("str", None)}
KIND_NAMES = {1: "device", 2: "prekeys", 3: "account", 4: "sessions"}
STORE_ERROR = "DeviceError::Store(Corrupt)"


def check_store(v: dict, c: Checker, stats: dict) -> None:
    if not _shape(c, ST_FILE, v, ST_TOP):
        return
    sk = H(v["store_key"])
    c.eq(f"{ST_FILE}.label", STORE_KEYS.hex(), v["label"])
    ik, vk = store_keys(sk)
    c.eq(f"{ST_FILE}.index_key", v["index_key"], ik.hex())
    c.eq(f"{ST_FILE}.value_key", v["value_key"], vk.hex())
    c.eq(f"{ST_FILE}.digest_key", v["digest_key"], digest_key(sk).hex())
    for j, s in enumerate(v["script"]):
        if not isinstance(s, str):
            c.fail(f"{ST_FILE}.script[{j}]", "not a string")
    recs, by_name = {}, {}
    prev = None
    for i, r in enumerate(v["records"]):
        p = f"{ST_FILE}.records[{i}]"
        if not _shape(c, p, r, ST_REC):
            continue
        kind, pk, index = r["kind"], H(r["plain_key"]), H(r["index"])
        c.eq(f"{p}.kind_name", KIND_NAMES.get(kind), r["kind_name"])
        c.eq(f"{p}.index", r["index"], record_index(ik, kind, pk).hex())
        ctx = bytes([kind]) + index
        c.eq(f"{p}.context", r["context"], ctx.hex())
        if prev is not None and prev >= (kind, index):
            c.fail(p, "records not by kind then index")
        prev = (kind, index)
        value, pt = H(r["value"]), H(r["plaintext"])
        c.eq(f"{p}.salt", r["salt"], value[1:17].hex())
        c.eq(f"{p}.value", r["value"], seal_pickle(T_STORE_RECORD, vk, value[1:17], ctx, pt).hex())
        err, opened = _run(open_pickle, T_STORE_RECORD, value, vk, ctx)
        c.eq(f"{p}: value opens to the plaintext", pt.hex(), opened.hex() if opened else str(err))
        try:
            parsed = parse_plaintext(kind, index, pt, ik, vk)
        except Corrupt as e:
            c.fail(p, f"plaintext refused: {e}")
            continue
        c.eq(f"{p}.plain_key in the plaintext", pk.hex(), parsed["plain_key"].hex())
        embs = r["embedded_pickles"]
        c.eq(f"{p}: embedded pickle count", len(parsed["embedded"]), len(embs))
        for j, (e, (slot, ectx, pick, state)) in enumerate(zip(embs, parsed["embedded"])):
            if not _shape(c, f"{p}.embedded_pickles[{j}]", e, ST_EMB):
                continue
            c.eq(f"{p}.embedded_pickles[{j}].slot", slot, e["slot"])
            c.eq(f"{p}.embedded_pickles[{j}].context", ectx.hex(), e["context"])
            c.eq(f"{p}.embedded_pickles[{j}].pickle", pick.hex(), e["pickle"])
            tag = T_PREKEYS if kind == 2 else T_SESSION
            c.eq(f"{p}.embedded_pickles[{j}]: re-sealed", e["pickle"], seal_pickle(tag, vk, pick[1:17], ectx, state).hex())
        recs[(kind, index)] = value
        by_name.setdefault(kind, []).append((r, parsed))
        stats["records"] += 1
    try:
        loaded = load_store(sk, recs)
        stats["loads"] += 1
    except Corrupt as e:
        c.fail(ST_FILE, f"the loader refuses the record set: {e}")
        return
    dev = loaded[(1, record_index(ik, 1, b""))]
    c.eq(f"{ST_FILE}.account_id", v["account_id"], dev["account_id"].hex())
    c.eq(f"{ST_FILE}.device_id", v["device_id"], dev["device_id"])
    # 8.6: "The device's identity is the prekey store's": the own list holds it under device_id.
    ident = loaded[(2, record_index(ik, 2, b""))]["identity"]
    own = loaded[(3, record_index(ik, 3, dev["account_id"]))]
    c.eq(f"{ST_FILE}: own list holds the prekey store's identity under device_id", True,
         own.get("list_decoded") is not None and (dev["device_id"], ident) in own["list_decoded"]["devices"])
    if dev["seed"] is not None:
        c.eq(f"{ST_FILE}: the device's account key seed gives the own pinned key",
             own["pinned"].hex(), rd.ed25519_public(dev["seed"]).hex())
    check_store_negative(v, c, stats, sk, ik, vk, recs, by_name)


def check_store_negative(v, c, stats, sk, ik, vk, recs, by_name) -> None:
    acct = {r["plain_key"]: (r, pr) for r, pr in by_name.get(3, [])}
    own_id = v["account_id"]
    peers = [k for k in acct if k != own_id]
    dev_r = by_name[1][0][0]

    def named(who: str):
        # Bob, Carol, Dave in the script's order: the peer account records, told apart by what
        # the script says: Bob verified; Carol has two sessions; Dave a pending key change.
        for k in peers:
            r, pr = acct[k]
            sess = [x for x in by_name.get(4, []) if x[1]["account_id"].hex() == k]
            if who == "Bob" and pr["flags"] & 1:
                return r, sess
            if who == "Carol" and not pr["flags"] & 1 and sess and len(sess[0][1]["sessions"]) == 2:
                return r, sess
        raise KeyError(who)

    bob, _ = named("Bob")
    carol, carol_s = named("Carol")
    carol_s = carol_s[0][0]

    def pt_of(value: bytes, kind: int, index: bytes) -> bytes | None:
        try:
            return open_pickle(T_STORE_RECORD, value, vk, bytes([kind]) + index)
        except Err:
            return None

    def mod(rec, off, fn):
        b = bytearray(H(rec["plaintext"]))
        b[off] = fn(b[off])
        return bytes(b)

    B, C, D = H(bob["plaintext"]), H(carol_s["plaintext"]), H(dev_r["plaintext"])
    exp = {  # comment -> (operation, kind, index record, check of the value, reason)
        "Bob's account value moved to Carol's account index (it does not open under Carol's context)":
            ("put", 3, carol, lambda val: val.hex() == bob["value"], "open"),
        "the Carol sessions value moved to the account kind at the same index (it does not open under context 0x03 || index)":
            ("put", 3, carol_s, lambda val: val.hex() == carol_s["value"], "open"),
        "Bob's account plaintext sealed for Carol's index: it opens, but its plain key (Bob's account id) does not give the index":
            ("put", 3, carol, lambda val: pt_of(val, 3, H(carol["index"])) == B, "plain key"),
        "the device record with the unknown flag bit 2 set (flags 0x05)":
            ("put", 1, dev_r, lambda val: pt_of(val, 1, H(dev_r["index"])) == mod(dev_r, 21, lambda _: 0x05), "flags"),
        "Bob's account record with the unknown flag bit 3 set":
            ("put", 3, bob, lambda val: pt_of(val, 3, H(bob["index"])) == mod(bob, 1, lambda f: f | 0x08), "flags"),
        "the Carol sessions record with the unknown flag bit 2 set on its first session":
            ("put", 4, carol_s, lambda val: pt_of(val, 4, H(carol_s["index"])) == mod(carol_s, 22, lambda f: f | 0x04),
             "flags"),
        "the device record with one trailing zero byte":
            ("put", 1, dev_r, lambda val: pt_of(val, 1, H(dev_r["index"])) == D + b"\x00", "trailing"),
        "Bob's account record with one trailing zero byte":
            ("put", 3, bob, lambda val: pt_of(val, 3, H(bob["index"])) == B + b"\x00", "trailing"),
        "the Carol sessions record with one trailing zero byte":
            ("put", 4, carol_s, lambda val: pt_of(val, 4, H(carol_s["index"])) == C + b"\x00", "trailing"),
        "Bob's account record with version byte 0x02":
            ("put", 3, bob, lambda val: pt_of(val, 3, H(bob["index"])) == mod(bob, 0, lambda _: 2), "version"),
        "the Carol sessions record claiming 6 sessions (at most 5)":
            ("put", 4, carol_s, lambda val: pt_of(val, 4, H(carol_s["index"])) == mod(carol_s, 21, lambda _: 6),
             "session count"),
        "the Carol sessions record claiming 0 sessions (an empty record is never written)":
            ("put", 4, carol_s, lambda val: pt_of(val, 4, H(carol_s["index"])) == C[:21] + b"\x00", "session count"),
        "a second device record (the device plaintext sealed for kind 1 at Bob's account index: kinds 1 and 2 hold exactly one record)":
            ("put", 1, bob, lambda val: pt_of(val, 1, H(bob["index"])) == D, "stray"),
        "Carol's account record deleted (the device would forget her pinned key: refused by the store digest)":
            ("delete", 3, carol, lambda val: val == b"", "digest"),
        "the own account record deleted": ("delete", 3, acct[own_id][0], lambda val: val == b"", "missing"),
        "the device record deleted": ("delete", 1, dev_r, lambda val: val == b"", "missing"),
    }
    for i, n in enumerate(v["negative"]):
        p = f"{ST_FILE}.negative[{i}]"
        if not _shape(c, p, n, ST_NEG):
            continue
        c.eq(f"{p}.id", i + 1, n["id"])
        # 8.6 Vectors: the deleted device record reads as an empty store (NoDevice).
        want_error = "DeviceError::NoDevice" if n["comment"] == "the device record deleted" else STORE_ERROR
        c.eq(f"{p}.expected_error", want_error, n["expected_error"])
        e = exp.get(n["comment"])
        val, index = H(n["value"]), H(n["index"])
        if e is None:
            c.fail(p, f"comment not understood: {n['comment']!r}")
            reason = None
        else:
            op, kind, rec, check, reason = e
            c.eq(f"{p}.operation", op, n["operation"])
            c.eq(f"{p}.kind", kind, n["kind"])
            c.eq(f"{p}.index", rec["index"], n["index"])
            c.eq(f"{p}.value as its comment says", True, bool(check(val)))
        w = dict(recs)
        if n["operation"] == "put":
            w[(n["kind"], index)] = val
        elif n["operation"] == "delete":
            c.eq(f"{p}: deleted record exists", True, (n["kind"], index) in w)
            w.pop((n["kind"], index), None)
        else:
            c.fail(p, f"unknown operation {n['operation']!r}")
            continue
        try:
            load_store(sk, w)
            c.fail(p, "the loader accepts it")
        except Corrupt as ex:
            c.eq(f"{p}: refused for the reason its comment gives", reason, ex.reason)
            stats["refused"] += 1


# ---------------------------------------------------------------- driver
def new_stats() -> dict:
    return {"link": 0, "fan_out": 0, "trust": 0, "records": 0, "loads": 0, "refused": 0}


PT_POS = {"name": ("str", None), "sender": ("hex", 16), "sender_device": ("int", None),
          "recipient": ("hex", 16), "body": ("hex", None), "plaintext": ("hex", None)}
PT_NEG = {"id": ("int", None), "validation_id": ("str", None), "comment": ("str", None),
          "input": ("hex", None), "delivered_from": ("hex", 16), "delivered_from_device": ("int", None),
          "receiver": ("hex", 16), "expected_error": ("str", None)}


def pt_decode_and_check(b: bytes, frm: bytes, frm_dev: int, me: bytes) -> tuple:
    """8.5 "Device plaintext": DEV-PT-01 (version 0x01, 37-byte header), then DEV-PT-02."""
    if len(b) < 37 or b[0] != 0x01:
        raise Err("DEV-PT-01", "FanOutError::Plaintext")
    sender, dev, recipient = b[1:17], int.from_bytes(b[17:21], "big"), b[21:37]
    if sender != frm or dev != frm_dev or (recipient != me and sender != me):
        raise Err("DEV-PT-02", "FanOutError::Misaddressed")
    return sender, dev, recipient, b[37:]


def check_plaintexts(v: dict, c: Checker, stats: dict, errs: dict) -> None:
    if not _shape(c, PT_FILE, v, {"description": ("str", None), "plaintexts": ("list", None),
                                   "negative": ("list", None)}):
        return
    for i, x in enumerate(v["plaintexts"]):
        p = f"{PT_FILE}.plaintexts[{i}]"
        if not _shape(c, p, x, PT_POS):
            continue
        b = b"\x01" + H(x["sender"]) + x["sender_device"].to_bytes(4, "big") + H(x["recipient"]) + H(x["body"])
        c.eq(f"{p}.plaintext", x["plaintext"], b.hex())
        got = pt_decode_and_check(b, H(x["sender"]), x["sender_device"], H(x["recipient"]))
        c.eq(f"{p}: decodes", (H(x["sender"]), x["sender_device"], H(x["recipient"]), H(x["body"])), got)
        stats["plaintexts"] = stats.get("plaintexts", 0) + 1
    seen = set()
    first = v["plaintexts"][0] if v["plaintexts"] else None
    good = H(first["plaintext"]) if first else b""
    alice, bob = (H(first["sender"]), H(first["recipient"])) if first else (b"", b"")
    known = {H(x["sender"]) for x in v["plaintexts"]} | {H(x["recipient"]) for x in v["plaintexts"]}
    mallory = [H(n["delivered_from"]) for n in v["negative"] if "from Mallory" in n["comment"]]
    mallory = mallory[0] if mallory else b""
    c.eq(f"{PT_FILE}: Mallory is an account of no plaintext", False, mallory in known)
    # Each negative rebuilt from its comment (what was done to the first plaintext, by whom it
    # was delivered, to which account), so that no byte of a refused case goes unpinned.
    rebuild = {
        "empty": (b"", alice, 1, bob),
        "the first plaintext with version byte 0x02": (b"\x02" + good[1:], alice, 1, bob),
        "the first plaintext with version byte 0x00": (b"\x00" + good[1:], alice, 1, bob),
        "the first plaintext's 37-byte header without its last byte (36 bytes)": (good[:36], alice, 1, bob),
        "the first plaintext delivered as from Mallory's device 1 (a relay-made account listing Alice's device)":
            (good, mallory, 1, bob),
        "the first plaintext delivered as from Alice's device 2": (good, alice, 2, bob),
        "the first plaintext delivered to a device of Mallory's account (to Bob, not from Mallory)":
            (good, alice, 1, mallory),
    }
    for i, n in enumerate(v["negative"]):
        p = f"{PT_FILE}.negative[{i}]"
        if not _shape(c, p, n, PT_NEG):
            continue
        c.eq(f"{p}.id", i + 1, n["id"])
        want = rebuild.get(n["comment"])
        if want is None:
            c.fail(p, f"comment not understood: {n['comment']!r}")
            continue
        got = (H(n["input"]), H(n["delivered_from"]), n["delivered_from_device"], H(n["receiver"]))
        c.eq(f"{p}: rebuilt from its comment", [w.hex() if isinstance(w, bytes) else w for w in want],
             [g.hex() if isinstance(g, bytes) else g for g in got])
        try:
            pt_decode_and_check(H(n["input"]), H(n["delivered_from"]), n["delivered_from_device"], H(n["receiver"]))
            c.fail(p, "accepted")
            continue
        except Err as e:
            c.eq(f"{p}.validation_id", n["validation_id"], e.vid)
            c.eq(f"{p}.expected_error", n["expected_error"], e.error)
            c.eq(f"{p}: error named in section 5", True, error_named(errs, n["validation_id"], n["expected_error"]))
            seen.add(e.vid)
            stats["refused"] += 1
    c.eq(f"{PT_FILE}: DEV-PT IDs covered", ["DEV-PT-01", "DEV-PT-02"], sorted(seen))


def run_all(spec: str, files: dict) -> tuple[Checker, dict]:
    c, stats, errs = Checker(), new_stats(), {}
    steps = ((check_spec, (spec, c, errs)), (check_link, (files[LK_FILE], c, stats, errs)),
             (check_fan_out, (files[FO_FILE], c, stats, errs)), (check_trust, (files[TR_FILE], c, stats, errs)),
             (check_store, (files[ST_FILE], c, stats)), (check_plaintexts, (files[PT_FILE], c, stats, errs)))
    for fn, args in steps:
        try:
            fn(*args)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, AssertionError, Refused, Err, Corrupt) as e:
            c.fail(fn.__name__, f"cannot check: {type(e).__name__}: {e}")
    return c, stats


def _values(o, path=()):
    """Every (path, value) of hex strings and numbers in a JSON tree (the mutable data)."""
    if isinstance(o, dict):
        for k, x in o.items():
            yield from _values(x, path + (k,))
    elif isinstance(o, list):
        for i, x in enumerate(o):
            yield from _values(x, path + (i,))
    elif isinstance(o, bool):
        yield path, o
    elif isinstance(o, int):
        yield path, o
    elif isinstance(o, str) and o and re.fullmatch(r"(?:[0-9a-f]{2})+", o) and path[-1] not in ("comment", "description"):
        yield path, o


def mutate_value(x, rnd: random.Random):
    if isinstance(x, bool):
        return not x
    if isinstance(x, int):
        return x + rnd.choice((1, -1)) if x > 0 else x + 1
    i = rnd.randrange(len(x))
    return x[:i] + rnd.choice([d for d in "0123456789abcdef" if d != x[i]]) + x[i + 1:]


def _set(o, path, val):
    for k in path[:-1]:
        o = o[k]
    o[path[-1]] = val


def self_test(spec: str, files: dict, per_file: int = 12) -> bool:
    ok, n = True, 0
    rnd = random.Random(20261203)
    for fname, v in files.items():
        vals = list(_values(v))
        picks = [vals[rnd.randrange(len(vals))] for _ in range(per_file)]
        muts = [(f"{'.'.join(map(str, pth))} changed", pth, mutate_value(x, rnd)) for pth, x in picks]
        muts.append(("unknown top-level field", ("extra",), 1))
        for desc, pth, val in muts:
            w = {k: (copy.deepcopy(x) if k == fname else x) for k, x in files.items()}
            _set(w[fname], pth, val)
            n += 1
            if not run_all(spec, w)[0].errors:
                print(f"self-test: mutation NOT detected: {fname}: {desc}")
                ok = False
        w = {k: (copy.deepcopy(x) if k == fname else x) for k, x in files.items()}
        del w[fname][next(iter(w[fname]))]
        n += 1
        if not run_all(spec, w)[0].errors:
            print(f"self-test: a missing field NOT detected: {fname}")
            ok = False
    bad = spec.replace("`Sotto/1 link channel`", "`Sotto/1 link channels`")
    n += 1
    if not run_all(bad, files)[0].errors:
        print("self-test: a changed section 2 label was NOT detected")
        ok = False
    print(f"self-test: {n} mutations: {'all detected' if ok else 'SOME NOT DETECTED'}")
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
        files = {f: json.loads((vectors / f).read_text(encoding="utf-8")) for f in (LK_FILE, FO_FILE, TR_FILE, ST_FILE, PT_FILE)}
    except (OSError, ValueError) as e:
        print(f"reproduce_devices2: FAIL: cannot load: {e}")
        return 1
    c, s = run_all(spec, files)
    for e in c.errors:
        print(e)
    ok = not c.errors
    if st and ok:
        ok &= self_test(spec, files)
    print(f"reproduce_devices2: {'OK' if ok else 'FAIL'}: {c.checks} checks, {len(c.errors)} mismatch(es); "
          f"{s['link']} link cases, {s['fan_out']} fan-outs, {s['trust']} trust cases, {s['records']} store records "
          f"rebuilt; {s.get('plaintexts', 0)} device plaintexts; {s['loads']} store load(s) accepted; {s['refused']} negative vectors refused "
          f"({time.monotonic() - t0:.2f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
