#!/usr/bin/env python3
"""Independent reproduction of docs/vectors/client.json (chapter 10 of docs/protocol.md, the
client: its end-to-end content, 10.1, and its state file, 10.2).

Written from docs/protocol.md alone (sections 1, 2, 5, 9.5 and 10) by an outside reviewer,
without reading any Rust source, test or fuzz target. Everything is here: the content encoder
and its strict decoder (CLI-CT-01..07 in the order of 10.1), the share payload of 9.5
(SEAL-TOK-01, -02), the state key (HKDF-SHA256, salt absent, info CLIENT_STATE), the state file
writer (ChaCha20-Poly1305, ad = 0x01 || CLIENT_STATE) and its opener (CLI-ST-01..04 in the
order of 10.2) with a strict reader of the JSON object of 10.2.

What is checked:
  * section 2's table parsed from docs/protocol.md: CLIENT_STATE is a row with these bytes;
    section 5's CLI-CT-* and CLI-ST-* rows exist, every expected error of a vector is named in
    the error column of its ID, and the negative cases cover exactly those IDs, in check order;
  * the file's shape: exactly the fields 10.3 lists, of the sizes the spec gives;
  * content: each case's UTF-8 bytes and its content rebuilt from text and profile key, its
    length (6 + len or 44 + len), decoded back to the same text and key;
  * state: each case's state key derived from its store key, the associated data, the JSON text
    rebuilt from its parsed fields in serde_json's compact form and order, the file sealed from
    it under its nonce and compared byte for byte, then opened back;
  * negative: every input rebuilt from its comment (state inputs from the first state file; the
    authentic ones sealed from the plaintexts 10.3 gives) and compared byte for byte, then
    refused with its ID and error.

Usage: python3 tools/reproduce_client.py [--self-test] [--vectors DIR] [--spec FILE]
  --self-test    also applies seeded in-memory mutations (hex digits, numbers, texts, an unknown
                 and a missing field, the spec's tables) and asserts each one is reported.
Exits non-zero on any mismatch.
"""
from __future__ import annotations

import copy
import json
import random
import re
import sys
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VECTORS = ROOT / "docs" / "vectors"
DEFAULT_SPEC = ROOT / "docs" / "protocol.md"
FILE = "client.json"

CLIENT_STATE = b"Sotto/1 client state"
CONTENT_VERSION, KIND_TEXT, KIND_SHARE = 0x01, 0x01, 0x02
SHARE_VERSION, SHARE_LEN = 0x01, 33
STATE_VERSION, NONCE_LEN, TAG_LEN = 0x01, 12, 16
STATE_MIN_LEN = 1 + NONCE_LEN + TAG_LEN
MAX_TEXT_LEN = 2**23 - 1
U32, U64 = 2**32 - 1, 2**64 - 1
ID_COUNTS = {"CLI-CT": 7, "CLI-ST": 4}


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


class Err(Exception):
    """A refusal: validation ID and error name as the vectors write them."""

    def __init__(self, vid: str, error: str, why: str = ""):
        super().__init__(f"{vid} {error} {why}")
        self.vid, self.error = vid, error


def H(s: str) -> bytes:
    return bytes.fromhex(s)


# ---------------------------------------------------------------- primitives (section 1)
def hkdf(salt: bytes | None, ikm: bytes, info: bytes, n: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=n, salt=salt, info=info).derive(ikm)


def aead(key: bytes, nonce: bytes, ad: bytes, pt: bytes) -> bytes:
    return ChaCha20Poly1305(key).encrypt(nonce, pt, ad)


def aead_open(key: bytes, nonce: bytes, ad: bytes, ct: bytes) -> bytes | None:
    try:
        return ChaCha20Poly1305(key).decrypt(nonce, ct, ad)
    except InvalidTag:
        return None


# ---------------------------------------------------------------- 9.5: the share payload
def share_of(pk: bytes) -> bytes:
    assert len(pk) == 32
    return bytes([SHARE_VERSION]) + pk


def from_share(b: bytes) -> bytes:
    if (b[0] if b else 0) != SHARE_VERSION:
        raise Err("SEAL-TOK-01", "AccessError::ShareVersion")
    if len(b) != SHARE_LEN:
        raise Err("SEAL-TOK-02", "AccessError::ShareLength")
    return b[1:]


# ---------------------------------------------------------------- 10.1: content
def item(kind: int, payload: bytes) -> bytes:
    return bytes([kind]) + len(payload).to_bytes(4, "big") + payload


def encode_content(text: str, pk: bytes | None) -> bytes:
    t = text.encode("utf-8")
    if len(t) > MAX_TEXT_LEN:
        raise Err("-", "ClientError::TooLong")
    out = bytes([CONTENT_VERSION])
    if pk is not None:
        out += item(KIND_SHARE, share_of(pk))
    return out + item(KIND_TEXT, t)


def decode_content(b: bytes) -> tuple[str, bytes | None]:
    if (b[0] if b else 0) != CONTENT_VERSION:
        raise Err("CLI-CT-01", "ContentError::UnknownVersion")
    i, text, share = 1, None, None
    while i < len(b):
        if len(b) - i < 5:
            raise Err("CLI-CT-02", "ContentError::Truncated", "item header")
        kind, n = b[i], int.from_bytes(b[i + 1:i + 5], "big")
        if len(b) - (i + 5) < n:
            raise Err("CLI-CT-02", "ContentError::Truncated", "payload")
        payload = b[i + 5:i + 5 + n]
        i += 5 + n
        if kind not in (KIND_TEXT, KIND_SHARE):
            raise Err("CLI-CT-03", "ContentError::UnknownKind")
        if (kind == KIND_SHARE and (share is not None or text is not None)) or (kind == KIND_TEXT and text is not None):
            raise Err("CLI-CT-04", "ContentError::Order")
        if kind == KIND_SHARE:
            try:
                share = from_share(payload)
            except Err as e:
                raise Err("CLI-CT-05", "ContentError::Share", e.vid) from None
        else:
            try:
                text = payload.decode("utf-8")  # strict: RFC 3629 (no overlong, surrogate, > U+10FFFF)
            except UnicodeDecodeError:
                raise Err("CLI-CT-06", "ContentError::NotUtf8") from None
    if text is None:
        raise Err("CLI-CT-07", "ContentError::NoText")
    return text, share


# ---------------------------------------------------------------- 10.2: the state file
AD = bytes([STATE_VERSION]) + CLIENT_STATE
FIELDS = ("token", "profile_key", "trust_root", "peers", "sealed_from", "pending_acks",
          "uploaded_prekey_max", "signed_prekey_at", "next_prekey_check")


def state_key(store_key: bytes) -> bytes:
    return hkdf(None, store_key, CLIENT_STATE, 32)


def seal_state(store_key: bytes, nonce: bytes, pt: bytes, ad: bytes = AD, version: bytes = b"\x01") -> bytes:
    return version + nonce + aead(state_key(store_key), nonce, ad, pt)


def _uint(v, top: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= top


def state_json_ok(o) -> str | None:
    """The JSON object of 10.2; returns why it is not, or None."""
    if not isinstance(o, dict):
        return "not an object"
    if set(o) != set(FIELDS):
        return f"fields {sorted(set(o) ^ set(FIELDS))} missing or unknown"
    if not isinstance(o["token"], str) or not isinstance(o["trust_root"], str):
        return "token / trust_root not a string"
    if o["profile_key"] is not None and not isinstance(o["profile_key"], str):
        return "profile_key neither a string nor null"
    if not isinstance(o["peers"], dict) or not all(isinstance(x, str) for x in o["peers"].values()):
        return "peers not an object of strings"
    sf = o["sealed_from"]
    if not isinstance(sf, list) or not all(isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)
                                           and _uint(p[1], U32) for p in sf):
        return "sealed_from not an array of [string, u32] pairs"
    if not isinstance(o["pending_acks"], list) or not all(_uint(x, U64) for x in o["pending_acks"]):
        return "pending_acks not an array of numbers"
    if not _uint(o["uploaded_prekey_max"], U32):
        return "uploaded_prekey_max not a u32"
    if not _uint(o["signed_prekey_at"], U64) or not _uint(o["next_prekey_check"], U64):
        return "a time not a u64"
    return None


def _no_dup(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def _no_constant(name):
    raise ValueError(f"not JSON: {name}")


def parse_state_json(pt: bytes) -> dict:
    try:
        o = json.loads(pt.decode("utf-8"), object_pairs_hook=_no_dup, parse_constant=_no_constant,
                       parse_float=lambda s: float(s))
    except (UnicodeDecodeError, ValueError) as e:
        raise Err("CLI-ST-04", "StateFileError::Malformed", str(e)) from None
    why = state_json_ok(o)
    if why:
        raise Err("CLI-ST-04", "StateFileError::Malformed", why)
    return o


def open_state(store_key: bytes, b: bytes) -> dict:
    if (b[0] if b else 0) != STATE_VERSION:
        raise Err("CLI-ST-01", "StateFileError::UnknownVersion")
    if len(b) < STATE_MIN_LEN:
        raise Err("CLI-ST-02", "StateFileError::Truncated")
    pt = aead_open(state_key(store_key), b[1:13], AD, b[13:])
    if pt is None:
        raise Err("CLI-ST-03", "StateFileError::WrongKeyOrCorrupted")
    return parse_state_json(pt)


def write_json(o: dict) -> str:
    """serde_json's compact form, fields in the order of 10.2's table."""
    return json.dumps({k: o[k] for k in FIELDS}, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------- spec tables
def check_spec(spec: str, c: Checker, rows: dict) -> None:
    sec2 = spec.split("\n## 2. Labels", 1)[1].split("\n## 3.", 1)[0]
    table = {}
    for name, ascii_, length, hx in re.findall(r"^\| `([A-Z0-9_]+)` \| `([^`]*)` \| (\d+) \| `([0-9a-f]+)` \|$", sec2, re.M):
        c.eq(f"protocol.md 2: {name}: hex = ASCII", ascii_.encode().hex(), hx)
        c.eq(f"protocol.md 2: {name}: length", len(ascii_.encode()), int(length))
        table[name] = bytes.fromhex(hx)
    c.eq("protocol.md 2: CLIENT_STATE", CLIENT_STATE.hex(), table.get("CLIENT_STATE", b"<absent>").hex())
    sec5 = spec.split("\n## 5. Validation IDs", 1)[1].split("\n## 6.", 1)[0]
    for vid, _check, err in re.findall(r"^\| (CLI-(?:CT|ST)-\d\d) \| (.*) \| (.*) \|$", sec5, re.M):
        rows[vid] = re.findall(r"`([^`]+)`", err)
    for prefix, n in ID_COUNTS.items():
        want = [f"{prefix}-{i:02d}" for i in range(1, n + 1)]
        c.eq(f"protocol.md 5: {prefix} IDs", want, sorted(k for k in rows if k.startswith(prefix + "-")))
    sec10 = spec.split("\n## 10. The client", 1)[1].split("\n## 11.", 1)[0]
    for vid in rows:
        c.eq(f"protocol.md 10: {vid} is a check of chapter 10", True, f"{vid}:" in sec10)
    c.eq("protocol.md 10.2: STATE_MIN_LEN", True, f"at least {STATE_MIN_LEN} bytes (`STATE_MIN_LEN`" in sec10)


# ---------------------------------------------------------------- the vector file
TOP = {"description": "str", "content_version": "int", "kind_text": "int", "kind_share": "int",
       "content": "list", "state_version": "int", "state_label": "hex", "state": "list", "negative": "list"}
CASE = {"name": "str", "text": "str", "text_utf8": "hex", "share_profile_key": "hex", "content": "hex"}
STATE = {"name": "str", "store_key": "hex", "state_key": "hex", "nonce": "hex", "associated_data": "hex",
         "json": "str", "file": "hex"}
NEG = {"id": "int", "validation_id": "str", "comment": "str", "operation": "str", "store_key": "hex",
       "input": "hex", "expected_error": "str"}


def shape(c: Checker, path: str, obj, fields: dict) -> bool:
    if not isinstance(obj, dict):
        c.fail(path, "not an object")
        return False
    ok = c.eq(f"{path}: field set", sorted(fields), sorted(obj))
    for k, kind in fields.items():
        v = obj.get(k)
        good = {"str": isinstance(v, str), "list": isinstance(v, list),
                "int": isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                "hex": isinstance(v, str) and re.fullmatch(r"(?:[0-9a-f]{2})*", v) is not None}[kind]
        if k in obj and not good:
            c.fail(f"{path}.{k}", f"not {kind}")
            ok = False
    return ok and all(k in obj for k in fields)


# The content cases of 10.3: (text, profile key or None), in order.
CONTENT_CASES = [("hello", None), ("hi Bob", b"\x3a" * 32), ("", None), (None, None)]
# The state cases of 10.3: store key byte, nonce byte.
STATE_CASES = [(0x5C, 0x6E), (0x5D, 0x6F)]


def check_content(v: dict, c: Checker, stats: dict) -> None:
    c.eq("content: count", len(CONTENT_CASES), len(v["content"]))
    for i, case in enumerate(v["content"]):
        p = f"content[{i}]"
        if not shape(c, p, case, CASE):
            continue
        want_text, want_pk = CONTENT_CASES[i] if i < len(CONTENT_CASES) else (None, None)
        text = case["text"]
        if want_text is not None:
            c.eq(f"{p}: text (10.3)", want_text, text)
        else:  # "a non-ASCII UTF-8 text" (the name says: 2-, 3- and 4-byte sequences)
            lens = {len(ch.encode("utf-8")) for ch in text}
            c.eq(f"{p}: non-ASCII text with 2-, 3- and 4-byte sequences", True, {2, 3, 4} <= lens)
        c.eq(f"{p}: text_utf8", text.encode("utf-8").hex(), case["text_utf8"])
        pk = H(case["share_profile_key"]) if case["share_profile_key"] else None
        c.eq(f"{p}: share_profile_key (10.3)", want_pk, pk)
        got = encode_content(text, pk)
        c.eq(f"{p}: content", got.hex(), case["content"])
        c.eq(f"{p}: length", (44 if pk else 6) + len(text.encode("utf-8")), len(H(case["content"])))
        try:
            c.eq(f"{p}: decodes back", (text, pk), decode_content(H(case["content"])))
            stats["contents"] += 1
        except Err as e:
            c.fail(p, f"refused: {e}")


def check_state(v: dict, c: Checker, stats: dict) -> None:
    c.eq("state_label", CLIENT_STATE.hex(), v["state_label"])
    c.eq("state: count", len(STATE_CASES), len(v["state"]))
    for i, s in enumerate(v["state"]):
        p = f"state[{i}]"
        if not shape(c, p, s, STATE):
            continue
        kb, nb = STATE_CASES[i] if i < len(STATE_CASES) else (None, None)
        c.eq(f"{p}: store_key (10.3)", bytes([kb]) * 32 if kb is not None else None, H(s["store_key"]))
        c.eq(f"{p}: nonce (10.3)", bytes([nb]) * NONCE_LEN if nb is not None else None, H(s["nonce"]))
        sk = H(s["store_key"])
        c.eq(f"{p}: state_key", state_key(sk).hex(), s["state_key"])
        c.eq(f"{p}: associated_data", AD.hex(), s["associated_data"])
        try:
            o = parse_state_json(s["json"].encode("utf-8"))
        except Err as e:
            c.fail(p, f"json refused: {e}")
            continue
        c.eq(f"{p}: json in serde_json's compact form and field order", write_json(o), s["json"])
        f = seal_state(sk, H(s["nonce"]), s["json"].encode("utf-8"))
        c.eq(f"{p}: file", f.hex(), s["file"])
        c.eq(f"{p}: file length = 29 + json", STATE_MIN_LEN + len(s["json"].encode()), len(H(s["file"])))
        try:
            c.eq(f"{p}: opens back", o, open_state(sk, H(s["file"])))
            stats["states"] += 1
        except Err as e:
            c.fail(p, f"refused: {e}")
    if len(v["state"]) == 2 and all(isinstance(s, dict) and "json" in s for s in v["state"]):
        try:  # what the names say
            a, b = (json.loads(s["json"]) for s in v["state"])
            c.eq("state[0]: freshly registered: no peer, no sealed sender, nothing pending", ({}, [], []),
                 (a["peers"], a["sealed_from"], a["pending_acks"]))
            c.eq("state[1]: a linked device: no profile key yet", None, b["profile_key"])
            c.eq("state[1]: a peer, a sealed sender, unacknowledged messages", (True, True, True),
                 (bool(b["peers"]), bool(b["sealed_from"]), bool(b["pending_acks"])))
        except (ValueError, KeyError, TypeError) as e:
            c.fail("state", f"cannot read: {e}")


def negative_inputs(v: dict) -> dict[int, tuple[str, bytes, bytes]]:
    """Each negative id -> (operation, store key, input), rebuilt from its comment (10.3)."""
    share = item(KIND_SHARE, share_of(b"\x3a" * 32))
    hi = item(KIND_TEXT, b"hi")
    s0 = v["state"][0]
    k5c, k5d, n6e = b"\x5c" * 32, b"\x5d" * 32, b"\x6e" * NONCE_LEN
    j0 = s0["json"]
    f0 = seal_state(k5c, n6e, j0.encode())
    ext = j0.replace('"peers":', '"extra":1,"peers":', 1)
    pend = j0.replace('"pending_acks":[]', '"pending_acks":""', 1)
    ct = {
        1: b"", 2: b"\x02" + hi, 3: b"\x11" + hi, 4: b"\x01\x01\x00\x00\x00",
        5: b"\x01\x01\x00\x00\x00\x05hi", 6: b"\x01\x01\xff\xff\xff\xffh", 7: b"\x01" + hi + b"\x00",
        8: b"\x01" + item(0x00, b""), 9: b"\x01" + hi + item(0x03, b"x"), 10: b"\x01" + hi + hi,
        11: b"\x01" + hi + share, 12: b"\x01" + share + share + hi,
        13: b"\x01" + item(KIND_SHARE, b"\x3a" * 32) + hi, 14: b"\x01" + item(KIND_SHARE, b"\x02" + b"\x3a" * 32) + hi,
        15: b"\x01" + item(KIND_SHARE, share_of(b"\x3a" * 32) + b"\x00") + hi,
        16: b"\x01" + item(KIND_TEXT, b"\xff"), 17: b"\x01" + item(KIND_TEXT, b"\xc0\x80"),
        18: b"\x01" + item(KIND_TEXT, b"\xed\xa0\x80"), 19: b"\x01" + item(KIND_TEXT, b"\xf0\x9f\xa6"),
        20: b"\x01", 21: b"\x01" + share,
    }
    st = {
        22: b"", 23: b"\x02" + f0[1:],
        24: b"\x5a" * NONCE_LEN + aead(state_key(k5c), b"\x5a" * NONCE_LEN, CLIENT_STATE, j0.encode()),
        25: b"\x01", 26: f0[:28], 27: f0[:-1] + bytes([f0[-1] ^ 0x01]), 28: f0[:1] + bytes([f0[1] ^ 0x80]) + f0[2:],
        29: seal_state(k5d, n6e, j0.encode()), 30: b"\x01" + n6e + bytes(TAG_LEN),
        31: seal_state(k5c, n6e, b"{}"), 32: seal_state(k5c, n6e, b"not json"),
        33: seal_state(k5c, n6e, ext.encode()), 34: seal_state(k5c, n6e, pend.encode()),
        35: seal_state(k5c, n6e, j0.encode() + b" x"),
    }
    out = {i: ("content", b"", b) for i, b in ct.items()}
    out.update({i: ("state", k5c, b) for i, b in st.items()})
    return out


def error_named(rows: dict, vid: str, error: str) -> bool:
    typ, _, var = error.rpartition("::")
    full, last = set(), None
    for nm in rows.get(vid, []):
        if "::" in nm:
            last, _, vv = nm.rpartition("::")
            full.add((last.split("::")[-1], vv))
        elif last:
            full.add((last.split("::")[-1], nm))
    return (typ, var) in full


def check_negative(v: dict, c: Checker, stats: dict, rows: dict) -> None:
    negs = v["negative"]
    want = negative_inputs(v)
    c.eq("negative: ids 1..n", list(range(1, len(negs) + 1)), [n.get("id") for n in negs])
    c.eq("negative: count (every one rebuilt from its comment)", len(want), len(negs))
    vids = [n.get("validation_id") for n in negs]
    c.eq("negative: cover exactly the CLI IDs of section 5", sorted(rows), sorted(set(vids)))
    c.eq("negative: in the order of the checks", sorted(vids, key=str), vids)
    for n in negs:
        p = f"negative[id {n.get('id')}]"
        if not shape(c, p, n, NEG):
            continue
        op, sk, inp = want.get(n["id"], (None, None, None))
        c.eq(f"{p}: operation", op, n["operation"])
        c.eq(f"{p}: store_key", sk.hex() if sk is not None else None, n["store_key"])
        c.eq(f"{p}: input rebuilt from its comment", inp.hex() if inp is not None else None, n["input"])
        c.eq(f"{p}: operation matches the ID", {"CLI-CT": "content", "CLI-ST": "state"}.get(n["validation_id"][:6]),
             n["operation"])
        fn = {"content": lambda: decode_content(H(n["input"])),
              "state": lambda: open_state(H(n["store_key"]), H(n["input"]))}.get(n["operation"])
        if fn is None:
            c.fail(p, f"unknown operation {n['operation']!r}")
            continue
        try:
            fn()
            c.fail(p, f"accepted; expected {n['validation_id']} {n['expected_error']}")
        except Err as e:
            c.eq(f"{p}: validation_id", n["validation_id"], e.vid)
            c.eq(f"{p}: expected_error", n["expected_error"], e.error)
            c.eq(f"{p}: error named in section 5's row", True, error_named(rows, n["validation_id"], n["expected_error"]))
            stats["refused"] += 1


def run_all(spec: str, v) -> tuple[Checker, dict]:
    c, stats, rows = Checker(), {"contents": 0, "states": 0, "refused": 0}, {}
    steps = [(check_spec, (spec, c, rows))]
    if shape(c, FILE, v, TOP):
        c.eq("content_version", CONTENT_VERSION, v["content_version"])
        c.eq("kind_text", KIND_TEXT, v["kind_text"])
        c.eq("kind_share", KIND_SHARE, v["kind_share"])
        c.eq("state_version", STATE_VERSION, v["state_version"])
        steps += [(check_content, (v, c, stats)), (check_state, (v, c, stats)), (check_negative, (v, c, stats, rows))]
    for fn, args in steps:
        try:
            fn(*args)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, AssertionError, Err) as e:
            c.fail(fn.__name__, f"cannot check: {type(e).__name__}: {e}")
    return c, stats


# ---------------------------------------------------------------- self-test
def _values(o, path=()):
    if isinstance(o, dict):
        for k, x in o.items():
            yield from _values(x, path + (k,))
    elif isinstance(o, list):
        for i, x in enumerate(o):
            yield from _values(x, path + (i,))
    elif isinstance(o, int) and not isinstance(o, bool):
        yield path, o
    elif isinstance(o, str) and path[-1] not in ("comment", "description", "name"):
        yield path, o


def mutate_value(x, rnd: random.Random):
    if isinstance(x, int):
        return x + rnd.choice((1, -1)) if x > 0 else x + 1
    if not x:
        return "00"
    i = rnd.randrange(len(x))
    if re.fullmatch(r"(?:[0-9a-f]{2})+", x):
        return x[:i] + rnd.choice([d for d in "0123456789abcdef" if d != x[i]]) + x[i + 1:]
    return x[:i] + chr(ord(x[i]) ^ 0x01) + x[i + 1:]


def _walk(o, path):
    for k in path[:-1]:
        o = o[k]
    return o


def _reseal(s: dict, new_json: str) -> None:
    """Replace a state case's JSON and re-seal its file, so only the JSON checks can see it."""
    s["json"] = new_json
    s["file"] = seal_state(H(s["store_key"]), H(s["nonce"]), new_json.encode()).hex()


def self_test(spec: str, v: dict, n_random: int = 60) -> bool:
    ok, n = True, 0
    rnd = random.Random(20261204)
    vals = list(_values(v))
    muts = [vals[rnd.randrange(len(vals))] for _ in range(n_random)]
    # every value of every negative case and of every state case at least once, first and last digit
    muts += [(pth, x) for pth, x in vals if pth[0] in ("negative", "state") and isinstance(x, str) and x]
    for pth, x in muts:
        w = copy.deepcopy(v)
        _walk(w, pth)[pth[-1]] = mutate_value(x, rnd)
        n += 1
        if not run_all(spec, w)[0].errors:
            print(f"self-test: mutation NOT detected: {'.'.join(map(str, pth))}")
            ok = False
    structural = [
        ("unknown top-level field", lambda w: w.__setitem__("extra", 1)),
        ("unknown field in negative[0]", lambda w: w["negative"][0].__setitem__("extra", "")),
        ("missing top-level field", lambda w: w.pop("kind_share")),
        ("missing validation_id", lambda w: w["negative"][0].pop("validation_id")),
        ("missing state json", lambda w: w["state"][1].pop("json")),
        ("a negative case dropped", lambda w: w["negative"].pop(19)),
        ("two negatives swapped", lambda w: w["negative"].insert(0, w["negative"].pop(1))),
        ("a content case dropped", lambda w: w["content"].pop()),
        ("expected error renamed", lambda w: w["negative"][3].__setitem__("expected_error", "ContentError::Short")),
        ("expected error of another ID", lambda w: w["negative"][7].__setitem__("expected_error", "ContentError::Order")),
        ("json with spaces, file re-sealed", lambda w: _reseal(w["state"][1], w["state"][1]["json"].replace(",", ", "))),
        ("json fields reordered, file re-sealed", lambda w: _reseal(w["state"][1], json.dumps(
            dict(reversed(list(json.loads(w["state"][1]["json"]).items()))), separators=(",", ":")))),
        ("json field renamed, file re-sealed", lambda w: _reseal(w["state"][1], w["state"][1]["json"].replace(
            '"token"', '"tokem"'))),
        ("json with a profile key of null, file re-sealed", lambda w: _reseal(w["state"][0], w["state"][0]["json"].replace(
            '"profile_key":"' + "3b" * 32 + '"', '"profile_key":null'))),
    ]
    for desc, fn in structural:
        w = copy.deepcopy(v)
        fn(w)
        n += 1
        if not run_all(spec, w)[0].errors:
            print(f"self-test: mutation NOT detected: {desc}")
            ok = False
    for old, new, what in (("`Sotto/1 client state`", "`Sotto/1 client states`", "a section 2 label"),
                           ("| CLI-ST-04 |", "| CLI-ST-4 |", "a section 5 row"),
                           ("`ContentError::NoText`", "`ContentError::Empty`", "a section 5 error name"),
                           ("`STATE_MIN_LEN`", "`MIN_LEN`", "10.2's STATE_MIN_LEN")):
        n += 1
        if not run_all(spec.replace(old, new), v)[0].errors:
            print(f"self-test: a changed {what} was NOT detected")
            ok = False
    # crafted checks of the decoders beyond the vectors
    crafted = [
        (lambda: decode_content(b"\x01" + item(KIND_TEXT, "\U0010ffff".encode()) ), None),
        (lambda: decode_content(b"\x01" + item(KIND_TEXT, b"\xf4\x90\x80\x80")), "CLI-CT-06"),
        (lambda: decode_content(b"\x01" + item(0x03, b"")[:3]), "CLI-CT-02"),
        (lambda: decode_content(b"\x01" + item(KIND_SHARE, b"")), "CLI-CT-05"),
        (lambda: decode_content(b"\x01" + item(KIND_TEXT, b"\xff") + item(KIND_TEXT, b"a")), "CLI-CT-06"),
        (lambda: parse_state_json(write_json(json.loads(v["state"][0]["json"])).replace("100", "4294967296").encode()),
         "CLI-ST-04"),
        (lambda: parse_state_json(write_json(json.loads(v["state"][0]["json"])).replace("100", "100.0").encode()),
         "CLI-ST-04"),
        (lambda: parse_state_json(b' \n' + v["state"][1]["json"].encode() + b"\t\r\n "), None),
    ]
    for fn, want in crafted:
        n += 1
        try:
            fn()
            got = None
        except Err as e:
            got = e.vid
        if got != want:
            print(f"self-test: crafted case gave {got}, expected {want}")
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
        v = json.loads((vectors / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"reproduce_client: FAIL: cannot load: {e}")
        return 1
    c, s = run_all(spec, v)
    for e in c.errors:
        print(e)
    ok = not c.errors
    if st and ok:
        ok &= self_test(spec, v)
    print(f"reproduce_client: {'OK' if ok else 'FAIL'}: {c.checks} checks, {len(c.errors)} mismatch(es); "
          f"{s['contents']} contents, {s['states']} state files rebuilt and opened; "
          f"{s['refused']} negative vectors refused ({time.monotonic() - t0:.2f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
