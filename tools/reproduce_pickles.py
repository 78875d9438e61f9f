#!/usr/bin/env python3
"""Independent reproduction of docs/vectors/pickles.json (device-identity and prekey-store pickles).

Written from docs/protocol.md alone (sections 1, 1.1, 2, 4, 4.1, 4.2, 6, 7.1, 7.2 and 7.7), without
reading any of the Rust sources. Primitives, Ed25519, ML-KEM and the bundle encoding/decoding come
from tools/reproduce_ratchet.py and tools/reproduce_handshake.py (themselves written from the docs).

What is checked:
  * the file's shape: exactly the fields section 6 lists, lower-case hex, the byte lengths of 4.2;
  * identity (tag 0x16): from `random_draws` (Ed25519 seed, X25519 private key, salt: 32, 32, 16
    bytes, all used) the public identity of 7.1, the 64-byte state of 4.2, `associated_data`
    (`0x16 || u16be(len C) || C`) and the sealed pickle (section 4's envelope), byte for byte; the
    vector's pickle is opened (section 4's checks in order, PKL-05 at 97 bytes) and parsed back;
  * prekey_store (tag 0x17): `associated_data`; the vector's pickle opened with the key and
    context and compared with `state`; `state` parsed field by field per 4.2 with every PKL-04
    rule 4.2 states, re-encoded (must give the same bytes) and re-sealed with the pickle's salt
    (bytes 1..17, must give `pickle`); every public key (X25519, ML-KEM-768 KeyGen_internal(d, z))
    and every signature (7.1) recomputed from the private keys; the first three bundles the
    restored store hands out per 7.7's relay rule, encoded per 7.2 and compared with
    `published_bundles`; each vector bundle also decoded (HS-01..HS-03) and verified (HS-04/05);
  * the `history` sentence against the state: the ids 7.7's single counter gives in creation and
    rotation order, the timestamps, the retire times (rotation time + grace), what was used.

Guesses (where the docs did not decide; each reported as a finding when this script was written):
  * 7.7's relay rule with a replaced key in its grace period: bundles carry the *last* (current)
    entry of the signed-prekey and last-resort ML-KEM lists (4.2 now says so; the vector agrees);
  * a restored store treats every held one-time key as unused and published (the state has no
    "handed out" mark), so the first bundle takes the smallest held one-time ids;
  * "an id 0" as the id of an entry of the four key lists (a replay record's spk_id must be a held
    signed prekey's, so it is never 0);
  * "a count whose entries cannot fit in the rest of the state": count x entry size greater than
    the bytes after the count field.

Usage: python3 tools/reproduce_pickles.py [--self-test] [VECTOR_FILE]   (default docs/vectors/pickles.json)
  --self-test  also mutates in-memory copies of the file (a state byte, the context, the salt, the
               order of the bundles, ...) and asserts each is reported, and seals crafted malformed
               states correctly and asserts each is refused with PKL-04 (or the envelope error of
               section 4 it must give), and that crafted well-formed variants are accepted.
Needs `cryptography` and `kyber-py`. Exits non-zero on any mismatch.
"""
from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reproduce_handshake as rh  # noqa: E402
import reproduce_ratchet as rr  # noqa: E402
from reproduce_ratchet import Checker, ProtocolError, VectorError, _is_hex, _flip, public_key, u16be, u32be  # noqa: E402

ROOT = rr.ROOT
DEFAULT_FILE = ROOT / "docs" / "vectors" / "pickles.json"
FNAME = "pickles.json"

# Section 1.1: type tags.
T_SESSION_PICKLE, T_IDENTITY_PICKLE, T_STORE_PICKLE, T_BUNDLE = 0x15, 0x16, 0x17, 0x14
# Section 4 / 4.2: envelope limits.
MIN_PICKLE = 33
IDENTITY_MAX = 33 + 64
STORE_MAX = 2**25
KIND_LAST_RESORT, KIND_ONE_TIME = rh.KIND_LAST_RESORT, rh.KIND_ONE_TIME
u64be = rh.u64be


# ---------------------------------------------------------------- section 4: the envelope, any tag
def pickle_ad(tag: int, context: bytes) -> bytes:
    if len(context) > 0xFFFF:
        raise ProtocolError("PKL-06", "context longer than 65535 bytes")
    return bytes([tag]) + u16be(len(context)) + context


def seal(tag: int, pickle_key: bytes, salt: bytes, context: bytes, state: bytes) -> bytes:
    if len(salt) != 16:
        raise VectorError(f"salt of {len(salt)} bytes, section 4 says 16")
    key, nonce = rr.pickle_key_nonce(pickle_key, salt)
    return bytes([tag]) + salt + rr.aead_seal(key, nonce, pickle_ad(tag, context), state)


def open_pickle(tag: int, data: bytes, pickle_key: bytes, context: bytes, max_len: int) -> bytes:
    """Section 4's restore checks, in its order: PKL-01, PKL-02, PKL-05, PKL-06, PKL-03."""
    if not data or data[0] != tag:
        raise ProtocolError("PKL-01", f"first byte {data[0]:#04x}, expected {tag:#04x}" if data else "empty")
    if len(data) < MIN_PICKLE:
        raise ProtocolError("PKL-02", f"{len(data)} bytes, fewer than 33")
    if len(data) > max_len:
        raise ProtocolError("PKL-05", f"{len(data)} bytes, more than {max_len}")
    ad = pickle_ad(tag, context)
    key, nonce = rr.pickle_key_nonce(pickle_key, data[1:17])
    return rr.aead_open(key, nonce, ad, data[17:], "PKL-03", "wrong key or context, or corrupted")


# ---------------------------------------------------------------- 4.2 device identity
def parse_identity(state: bytes) -> tuple[bytes, bytes]:
    if len(state) != 64:
        raise ProtocolError("PKL-04", f"identity state of {len(state)} bytes, not 64")
    return state[:32], state[32:]


def identity_public(signing_seed: bytes, identity_private: bytes) -> bytes:
    """7.1: identity = signing_key[32] || identity_key[32]."""
    return rh.ed_public(signing_seed) + public_key(identity_private)


def restore_identity(data: bytes, pickle_key: bytes, context: bytes) -> tuple[bytes, bytes]:
    return parse_identity(open_pickle(T_IDENTITY_PICKLE, data, pickle_key, context, IDENTITY_MAX))


# ---------------------------------------------------------------- 4.2 prekey store: state parser and encoder
RETIRE_CURRENT = b"\x00" + bytes(8)


class _R:
    def __init__(self, b: bytes):
        self.b, self.pos = b, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.b):
            raise ProtocolError("PKL-04", f"state ends early: {what} needs {n} bytes at offset {self.pos}")
        self.pos += n
        return self.b[self.pos - n:self.pos]

    def int(self, n: int, what: str) -> int:
        return int.from_bytes(self.take(n, what), "big")

    def count(self, entry: int, what: str) -> int:
        """4.2: a count whose entries cannot fit in the rest of the state, checked before any entry is read."""
        n = self.int(4, f"{what} count")
        if n * entry > len(self.b) - self.pos:
            raise ProtocolError("PKL-04", f"{what}: count {n} x {entry} bytes does not fit in the "
                                          f"{len(self.b) - self.pos} bytes left")
        return n


def _retire(raw: bytes, what: str) -> int | None:
    """4.2: `0x00 || 0[8]` (current, None) or `0x01 || u64be(t)` (replaced, stops being accepted at t)."""
    if raw == RETIRE_CURRENT:
        return None
    if raw[0] == 0x01:
        return int.from_bytes(raw[1:], "big")
    raise ProtocolError("PKL-04", f"{what}: retire {raw.hex()} is neither 0x00||0[8] nor 0x01||u64be(t)")


def _check_oldest_first(entries: list[dict], what: str) -> None:
    """4.2: the last entry is current, the earlier ones are retired; ids not 0 and not repeated."""
    for i, e in enumerate(entries):
        if e["id"] == 0:
            raise ProtocolError("PKL-04", f"{what}[{i}]: id 0")
        last = i == len(entries) - 1
        if last and e["retire"] is not None:
            raise ProtocolError("PKL-04", f"{what}: the last entry is retired")
        if not last and e["retire"] is None:
            raise ProtocolError("PKL-04", f"{what}[{i}]: an earlier entry is not retired")
    ids = [e["id"] for e in entries]
    if len(set(ids)) != len(ids):
        raise ProtocolError("PKL-04", f"{what}: ids repeat {ids}")


def _check_increasing(entries: list[dict], what: str) -> None:
    for i, e in enumerate(entries):
        if e["id"] == 0:
            raise ProtocolError("PKL-04", f"{what}[{i}]: id 0")
        if i and e["id"] <= entries[i - 1]["id"]:
            raise ProtocolError("PKL-04", f"{what}: ids not strictly increasing at entry {i}")


def parse_store(state: bytes) -> dict:
    """4.2's prekey-store table, field by field, with every PKL-04 rule 4.2 lists."""
    r = _R(state)
    s = {"signing_seed": r.take(32, "signing_seed"), "identity_private": r.take(32, "identity_private")}
    pq = r.int(1, "pq")
    if pq not in (0, 1):
        raise ProtocolError("PKL-04", f"pq {pq:#04x}")
    s["policy"] = {"pq": pq, "one_time_prekeys": r.int(4, "one_time_prekeys"),
                   "replenish_below": r.int(4, "replenish_below"),
                   "kem_one_time_prekeys": r.int(4, "kem_one_time_prekeys"),
                   "signed_prekey_grace": r.int(8, "signed_prekey_grace")}
    s["next_id"] = r.int(4, "next_id")
    if s["next_id"] == 0:
        raise ProtocolError("PKL-04", "next_id 0")

    n = r.count(53, "signed prekeys")
    if n == 0:
        raise ProtocolError("PKL-04", "no signed prekey")
    s["spks"] = []
    for i in range(n):
        s["spks"].append({"id": r.int(4, "spk id"), "timestamp": r.int(8, "spk timestamp"),
                          "private": r.take(32, "spk private"),
                          "retire": _retire(r.take(9, "spk retire"), f"signed prekeys[{i}]")})
    _check_oldest_first(s["spks"], "signed prekeys")

    n = r.count(36, "one-time prekeys")
    s["opks"] = [{"id": r.int(4, "opk id"), "private": r.take(32, "opk private")} for _ in range(n)]
    _check_increasing(s["opks"], "one-time prekeys")

    n = r.count(77, "last-resort ML-KEM prekeys")
    s["lr_kems"] = []
    for i in range(n):
        s["lr_kems"].append({"id": r.int(4, "kem id"), "seed": r.take(64, "kem seed"),
                             "retire": _retire(r.take(9, "kem retire"), f"last-resort ML-KEM prekeys[{i}]")})
    _check_oldest_first(s["lr_kems"], "last-resort ML-KEM prekeys")
    if pq == 0 and s["lr_kems"]:
        raise ProtocolError("PKL-04", "last-resort ML-KEM prekeys with pq = 0x00")
    if pq == 1 and not s["lr_kems"]:
        raise ProtocolError("PKL-04", "no last-resort ML-KEM prekey with pq = 0x01")

    n = r.count(68, "one-time ML-KEM prekeys")
    if pq == 0 and n:
        raise ProtocolError("PKL-04", "one-time ML-KEM prekeys with pq = 0x00")
    s["ot_kems"] = [{"id": r.int(4, "kem id"), "seed": r.take(64, "kem seed")} for _ in range(n)]
    _check_increasing(s["ot_kems"], "one-time ML-KEM prekeys")

    n = r.count(36, "replay records")
    s["replay"] = [(r.int(4, "replay spk_id"), r.take(32, "replay tag")) for _ in range(n)]
    for i in range(1, n):
        if s["replay"][i] <= s["replay"][i - 1]:  # (spk_id, tag): int, then bytes compared as unsigned bytes
            raise ProtocolError("PKL-04", f"replay records not strictly increasing at entry {i}")
    if r.pos != len(state):
        raise ProtocolError("PKL-04", f"{len(state) - r.pos} bytes left over")
    held = [e["id"] for key in ("spks", "opks", "lr_kems", "ot_kems") for e in s[key]]
    if len(set(held)) != len(held):
        raise ProtocolError("PKL-04", "an id held by two entries")
    if s["next_id"] in held:
        raise ProtocolError("PKL-04", f"next_id {s['next_id']} is held")
    spk_ids = {e["id"] for e in s["spks"]}
    for spk_id, _ in s["replay"]:
        if spk_id not in spk_ids:
            raise ProtocolError("PKL-04", f"a replay record under signed prekey {spk_id}, not held")
    return s


def _ret(t: int | None) -> bytes:
    return RETIRE_CURRENT if t is None else b"\x01" + u64be(t)


def encode_store(s: dict) -> bytes:
    """The inverse of parse_store (no checks: used to craft states, valid or not)."""
    p = s["policy"]
    out = s["signing_seed"] + s["identity_private"]
    out += (bytes([p["pq"]]) + u32be(p["one_time_prekeys"]) + u32be(p["replenish_below"])
            + u32be(p["kem_one_time_prekeys"]) + u64be(p["signed_prekey_grace"]))
    out += u32be(s["next_id"])
    out += u32be(s.get("spk_count", len(s["spks"])))
    out += b"".join(u32be(e["id"]) + u64be(e["timestamp"]) + e["private"] + e.get("raw_retire", _ret(e["retire"]))
                    for e in s["spks"])
    out += u32be(len(s["opks"])) + b"".join(u32be(e["id"]) + e["private"] for e in s["opks"])
    out += u32be(len(s["lr_kems"]))
    out += b"".join(u32be(e["id"]) + e["seed"] + e.get("raw_retire", _ret(e["retire"])) for e in s["lr_kems"])
    out += u32be(len(s["ot_kems"])) + b"".join(u32be(e["id"]) + e["seed"] for e in s["ot_kems"])
    out += u32be(len(s["replay"])) + b"".join(u32be(i) + t for i, t in s["replay"])
    return out


def restore_store(data: bytes, pickle_key: bytes, context: bytes) -> dict:
    return parse_store(open_pickle(T_STORE_PICKLE, data, pickle_key, context, STORE_MAX))


# ---------------------------------------------------------------- 4.2 / 7.1 / 7.7: the restored store
class RestoredStore:
    """What 4.2 says a restored store does: recompute every public key, re-sign (7.1), publish (7.7)."""

    def __init__(self, s: dict):
        self.s, pq = s, s["policy"]["pq"]
        self.identity_key = public_key(s["identity_private"])
        self.identity = rh.ed_public(s["signing_seed"]) + self.identity_key
        for e in s["spks"]:
            e["public"] = public_key(e["private"])
            e["signature"] = rh.ed_sign(s["signing_seed"], rh.spk_signed(self.identity_key, e["id"], e["timestamp"],
                                                                         pq, e["public"]))
        for e in s["opks"]:
            e["public"] = public_key(e["private"])
        for kind, lst in ((KIND_LAST_RESORT, s["lr_kems"]), (KIND_ONE_TIME, s["ot_kems"])):
            for e in lst:
                e["kind"] = kind
                e["public"], e["dk"] = rh.kem_keygen(e["seed"])
                e["signature"] = rh.ed_sign(s["signing_seed"], rh.kem_signed(self.identity_key, kind, e["id"],
                                                                             e["public"]))
        # GUESS (7.7 does not say): every held one-time key counts as published and unused after a
        # restore; bundles carry the current SPK and the current last-resort ML-KEM prekey, i.e. the
        # last (not retired) entries of the two lists kept oldest first.
        self.published_opks = sorted(s["opks"], key=lambda e: e["id"])
        self.published_ot_kems = sorted(s["ot_kems"], key=lambda e: e["id"])

    def hand_out(self) -> bytes:
        """7.7 Relay: smallest unused OPK, smallest unused one-time ML-KEM prekey, else the last-resort one."""
        spk = self.s["spks"][-1]
        opk = self.published_opks.pop(0) if self.published_opks else None
        if self.published_ot_kems:
            kem = self.published_ot_kems.pop(0)
        else:
            kem = self.s["lr_kems"][-1] if self.s["lr_kems"] else None
        b = {"identity": self.identity, "spk_id": spk["id"], "spk_timestamp": spk["timestamp"],
             "pq": self.s["policy"]["pq"], "spk_public": spk["public"], "spk_signature": spk["signature"],
             "opk": None if opk is None else {"id": opk["id"], "public": opk["public"]},
             "kem": None if kem is None else {"kind": kem["kind"], "id": kem["id"], "public": kem["public"],
                                              "signature": kem["signature"]}}
        return rh.encode_bundle(b)


# ---------------------------------------------------------------- the file
ID_FIELDS = {"pickle_key": 32, "context": None, "associated_data": None, "random_draws": None,
             "public_identity": 64, "state": 64, "pickle": 97}
STORE_FIELDS = {"pickle_key": 32, "context": None, "associated_data": None, "history": None, "state": None,
                "pickle": None, "published_bundles": None}


def _b(c: Checker, path: str, x, n: int | None = None) -> bytes | None:
    if not _is_hex(x):
        c.fail(path, f"not lower-case hex: {str(x)[:40]!r}")
        return None
    b = bytes.fromhex(x)
    if n is not None and len(b) != n:
        c.fail(path, f"{len(b)} bytes, expected {n}")
        return None
    return b


def check_shape(v: dict, c: Checker) -> None:
    c.checks += 1
    if set(v) != {"description", "identity", "prekey_store"}:
        c.fail("top level", f"fields {sorted(v)}")
    for name, fields in (("identity", ID_FIELDS), ("prekey_store", STORE_FIELDS)):
        c.checks += 1
        if set(v.get(name, {})) != set(fields):
            c.fail(name, f"fields {sorted(v.get(name, {}))}, section 6 lists {sorted(fields)}")


def check_identity(x: dict, c: Checker) -> None:
    p = "identity"
    pk, ctx = _b(c, f"{p}.pickle_key", x.get("pickle_key"), 32), _b(c, f"{p}.context", x.get("context"))
    c.eq(f"{p}.pickle_key (section 6: 32 bytes of 0x76)", "76" * 32, x.get("pickle_key"))
    draws = x.get("random_draws")
    c.checks += 1
    if not isinstance(draws, list) or len(draws) != 3:
        c.fail(f"{p}.random_draws", "section 6: three draws (Ed25519 seed, X25519 private key, salt)")
        return
    d = [_b(c, f"{p}.random_draws[{i}]", h, n) for i, (h, n) in enumerate(zip(draws, (32, 32, 16)))]
    if pk is None or ctx is None or None in d:
        return
    seed, xpriv, salt = d
    c.eq(f"{p}.associated_data", x.get("associated_data"), pickle_ad(T_IDENTITY_PICKLE, ctx))
    c.eq(f"{p}.public_identity", x.get("public_identity"), identity_public(seed, xpriv))
    state = seed + xpriv
    c.eq(f"{p}.state", x.get("state"), state)
    c.eq(f"{p}.pickle", x.get("pickle"), seal(T_IDENTITY_PICKLE, pk, salt, ctx, state))
    vp = _b(c, f"{p}.pickle", x.get("pickle"))
    if vp is None:
        return
    c.checks += 1
    try:
        got_seed, got_x = restore_identity(vp, pk, ctx)
    except ProtocolError as e:
        c.fail(f"{p}.pickle", f"does not restore: {e}")
        return
    c.eq(f"{p}.pickle (opened) signing_seed", draws[0], got_seed)
    c.eq(f"{p}.pickle (opened) identity_private", draws[1], got_x)
    c.eq(f"{p}.pickle (opened) public identity", x.get("public_identity"), identity_public(got_seed, got_x))
    c.eq(f"{p}.pickle salt (bytes 1..17)", draws[2], vp[1:17])


HISTORY_RE = re.compile(r"created at (\d+) with (\d+) one-time prekeys? and (\d+) one-time ML-KEM prekeys? \(PQXDH\); "
                        r"accepted one PQXDH initial message \(one-time prekey and one-time ML-KEM prekey used, "
                        r"one replay record\); signed prekey rotated at (\d+)$")


def check_history(x: dict, s: dict, c: Checker) -> None:
    """The history sentence, replayed with 7.7's rules (one id counter from 1, in creation order)."""
    p = "prekey_store.history"
    m = HISTORY_RE.match(x.get("history", ""))
    c.checks += 1
    if not m:
        c.fail(p, f"not the sentence this script knows how to replay: {x.get('history')!r}")
        return
    created, n_opk, n_kem, rotated = map(int, m.groups())
    grace = s["policy"]["signed_prekey_grace"]
    nid = iter(range(1, 2**32))
    spk1, lr1 = next(nid), next(nid)
    opks = [next(nid) for _ in range(n_opk)]
    okems = [next(nid) for _ in range(n_kem)]
    opks.pop(0), okems.pop(0)  # the accepted message used the smallest of each (7.7's relay rule)
    spk2, lr2 = next(nid), next(nid)
    exp = {"policy.pq": 1, "policy.one_time_prekeys": n_opk, "policy.kem_one_time_prekeys": n_kem,
           "next_id": next(nid),
           "spks": [(spk1, created, rotated + grace), (spk2, rotated, None)],
           "opks": opks, "lr_kems": [(lr1, rotated + grace), (lr2, None)], "ot_kems": okems,
           "replay spk_ids": [spk1]}
    got = {"policy.pq": s["policy"]["pq"], "policy.one_time_prekeys": s["policy"]["one_time_prekeys"],
           "policy.kem_one_time_prekeys": s["policy"]["kem_one_time_prekeys"], "next_id": s["next_id"],
           "spks": [(e["id"], e["timestamp"], e["retire"]) for e in s["spks"]],
           "opks": [e["id"] for e in s["opks"]], "lr_kems": [(e["id"], e["retire"]) for e in s["lr_kems"]],
           "ot_kems": [e["id"] for e in s["ot_kems"]], "replay spk_ids": [i for i, _ in s["replay"]]}
    for k in exp:
        c.eq(f"{p} vs state: {k}", exp[k], got[k])


def check_store(x: dict, c: Checker) -> None:
    p = "prekey_store"
    pk, ctx = _b(c, f"{p}.pickle_key", x.get("pickle_key"), 32), _b(c, f"{p}.context", x.get("context"))
    c.eq(f"{p}.pickle_key (section 6: 32 bytes of 0x77)", "77" * 32, x.get("pickle_key"))
    vstate, vp = _b(c, f"{p}.state", x.get("state")), _b(c, f"{p}.pickle", x.get("pickle"))
    if None in (pk, ctx, vstate, vp):
        return
    c.eq(f"{p}.associated_data", x.get("associated_data"), pickle_ad(T_STORE_PICKLE, ctx))
    c.checks += 1
    try:
        opened = open_pickle(T_STORE_PICKLE, vp, pk, ctx, STORE_MAX)
    except ProtocolError as e:
        c.fail(f"{p}.pickle", f"does not open: {e}")
        opened = None
    if opened is not None:
        c.eq(f"{p}.pickle (opened) vs state", x["state"], opened)
    c.checks += 1
    try:
        s = parse_store(vstate)
    except ProtocolError as e:
        c.fail(f"{p}.state", f"refused: {e}")
        return
    c.eq(f"{p}.state re-encoded", x["state"], encode_store(s))
    c.eq(f"{p}.pickle re-sealed with its salt", x["pickle"], seal(T_STORE_PICKLE, pk, vp[1:17], ctx, vstate))
    check_history(x, s, c)
    store = RestoredStore(s)
    bundles = x.get("published_bundles")
    c.checks += 1
    if not isinstance(bundles, list) or len(bundles) != 3:
        c.fail(f"{p}.published_bundles", "section 6: the first three bundles")
        return
    for i, h in enumerate(bundles):
        c.eq(f"{p}.published_bundles[{i}]", h, store.hand_out())
        b = _b(c, f"{p}.published_bundles[{i}]", h)
        if b is None:
            continue
        c.checks += 1
        try:
            mode = rh.verify_bundle(rh.decode_bundle(b))
            if mode != "pqxdh":
                c.fail(f"{p}.published_bundles[{i}]", f"mode {mode}, the store has pq = 0x01")
        except ProtocolError as e:
            c.fail(f"{p}.published_bundles[{i}]", f"refused by 7.2: {e}")


def run_file(v: dict) -> Checker:
    c = Checker(FNAME)
    try:
        check_shape(v, c)
        check_identity(v.get("identity", {}), c)
        check_store(v.get("prekey_store", {}), c)
    except (VectorError, ValueError, KeyError, TypeError) as e:
        c.fail("file", f"{type(e).__name__}: {e}")
    return c


def report(c: Checker, v: dict) -> bool:
    if c.errors:
        for e in c.errors[:rh.MAX_SHOWN]:
            print(e)
        print(f"{FNAME}: FAIL: {len(c.errors)} mismatches in {c.checks} checks")
        return False
    n = len(v["prekey_store"]["published_bundles"])
    print(f"{FNAME}: OK: {c.checks} checks (identity pickle, prekey-store pickle, {n} bundles), every byte reproduced")
    return True


# ---------------------------------------------------------------- self-test
def mutations(v: dict) -> list[tuple[str, object, str]]:
    I, S = "identity", "prekey_store"

    def setf(sec, k, val):
        return lambda w: w[sec].__setitem__(k, val(w[sec][k]) if callable(val) else val)

    def ctx_change(sec):
        def f(w):
            w[sec]["context"] = _flip(w[sec]["context"], len(w[sec]["context"]) // 2 - 1)
        return f

    def draws(i):
        def f(w):
            w[I]["random_draws"][i] = _flip(w[I]["random_draws"][i], 0)
        return f

    def draws1(i, byte):
        def f(w):
            w[I]["random_draws"][i] = _flip(w[I]["random_draws"][i], byte)
        return f

    def bundles(fn):
        def f(w):
            w[S]["published_bundles"] = fn(w[S]["published_bundles"])
        return f

    def flip_state_and_reseal(off):
        """A different state sealed correctly: the pickle opens, the state's bytes must differ."""
        def f(w):
            st = bytearray(bytes.fromhex(w[S]["state"]))
            st[off] ^= 1
            x = w[S]
            x["state"] = st.hex()
            x["pickle"] = seal(T_STORE_PICKLE, bytes.fromhex(x["pickle_key"]), bytes.fromhex(x["pickle"])[1:17],
                               bytes.fromhex(x["context"]), bytes(st)).hex()
        return f

    state_len = len(v[S]["state"]) // 2
    return [
        ("identity: state byte 0 flipped", setf(I, "state", lambda x: _flip(x, 0)), "identity.state"),
        ("identity: state byte 63 flipped", setf(I, "state", lambda x: _flip(x, 63)), "identity.state"),
        ("identity: pickle byte 40 flipped", setf(I, "pickle", lambda x: _flip(x, 40)), "identity.pickle"),
        ("identity: pickle tag 0x15", setf(I, "pickle", lambda x: "15" + x[2:]), "identity.pickle"),
        ("identity: context changed", ctx_change(I), "identity.associated_data"),
        ("identity: context changed (pickle no longer opens)", ctx_change(I), "does not restore: PKL-03"),
        ("identity: pickle key changed", setf(I, "pickle_key", "75" * 32), "identity.pickle"),
        ("identity: associated_data with tag 0x15", setf(I, "associated_data", lambda x: "15" + x[2:]),
         "identity.associated_data"),
        ("identity: Ed25519 seed draw flipped", draws(0), "identity.public_identity"),
        ("identity: X25519 draw bit 0 flipped (clamped away: same public key, other state)", draws(1),
         "identity.state"),
        ("identity: X25519 draw byte 1 flipped", draws1(1, 1), "identity.public_identity"),
        ("identity: salt draw flipped", draws(2), "identity.pickle"),
        ("identity: draws swapped", lambda w: w[I]["random_draws"].__setitem__(
            slice(0, 2), w[I]["random_draws"][1::-1]), "identity.public_identity"),
        ("identity: an extra draw", lambda w: w[I]["random_draws"].append("00" * 16), "three draws"),
        ("identity: public_identity byte 33 flipped", setf(I, "public_identity", lambda x: _flip(x, 33)),
         "identity.public_identity"),
        ("store: state byte 0 flipped", setf(S, "state", lambda x: _flip(x, 0)), "opened) vs state"),
        ("store: state byte in the current SPK private key flipped (sealed again)",
         flip_state_and_reseal(89 + 4 + 53 + 12 + 1), "published_bundles[0]"),
        ("store: pickle byte 100 flipped", setf(S, "pickle", lambda x: _flip(x, 100)), "does not open: PKL-03"),
        ("store: salt byte flipped", setf(S, "pickle", lambda x: _flip(x, 5)), "does not open: PKL-03"),
        ("store: pickle tag 0x16", setf(S, "pickle", lambda x: "16" + x[2:]), "does not open: PKL-01"),
        ("store: pickle with a trailing byte", setf(S, "pickle", lambda x: x + "00"), "does not open: PKL-03"),
        ("store: context changed", ctx_change(S), "does not open: PKL-03"),
        ("store: context changed (associated data)", ctx_change(S), "prekey_store.associated_data"),
        ("store: pickle key changed", setf(S, "pickle_key", "78" * 32), "does not open: PKL-03"),
        ("store: state with a trailing byte", setf(S, "state", lambda x: x + "00"), "bytes left over"),
        ("store: state cut by one byte", setf(S, "state", lambda x: x[:-2]), "refused: PKL-04"),
        ("store: bundles reordered (0 <-> 2)", bundles(lambda b: [b[2], b[1], b[0]]), "published_bundles[0]"),
        ("store: bundles reordered (0 <-> 1)", bundles(lambda b: [b[1], b[0], b[2]]), "published_bundles[0]"),
        ("store: a bundle dropped", bundles(lambda b: b[:2]), "first three bundles"),
        ("store: a fourth bundle", bundles(lambda b: b + [b[2]]), "first three bundles"),
        ("store: bundle 0 kem signature flipped", bundles(lambda b: [_flip(b[0], len(b[0]) // 2 - 1)] + b[1:]),
         "published_bundles[0]"),
        ("store: bundle 1 spk signature flipped", bundles(lambda b: [b[0], _flip(b[1], 120), b[2]]),
         "refused by 7.2: HS-04"),
        ("store: bundle 2 pq flag 0x00", bundles(lambda b: b[:2] + [b[2][:154] + "00" + b[2][156:]]),
         "published_bundles[2]"),
        ("store: history rotation time changed",
         setf(S, "history", lambda h: h.replace("rotated at 1764086400", "rotated at 1764086401")), "history"),
        ("store: history one-time prekey count changed",
         setf(S, "history", lambda h: h.replace("with 2 one-time", "with 3 one-time")), "history"),
        ("an extra field", lambda w: w[S].__setitem__("extra", "00"), "prekey_store"),
        ("store: state cut by one replay record (36 bytes)", setf(S, "state", lambda x: x[:2 * (state_len - 36)]),
         "prekey_store.state"),
    ]


def crafted(v: dict) -> list[tuple[str, object, str | None]]:
    """(description, thunk, expected error ID or None for 'must be accepted')."""
    I, S = v["identity"], v["prekey_store"]
    ipk, ictx, ip = bytes.fromhex(I["pickle_key"]), bytes.fromhex(I["context"]), bytes.fromhex(I["pickle"])
    spk, sctx, sp = bytes.fromhex(S["pickle_key"]), bytes.fromhex(S["context"]), bytes.fromhex(S["pickle"])
    salt = sp[1:17]
    base = parse_store(bytes.fromhex(S["state"]))

    def sealed_id(state: bytes):
        return lambda: restore_identity(seal(T_IDENTITY_PICKLE, ipk, salt, ictx, state), ipk, ictx)

    def sealed(state: bytes):
        return lambda: restore_store(seal(T_STORE_PICKLE, spk, salt, sctx, state), spk, sctx)

    def st(fn):
        s = copy.deepcopy(base)
        fn(s)
        return sealed(encode_store(s))

    def patch(off: int, new: bytes):
        b = bytearray(bytes.fromhex(S["state"]))
        b[off:off + len(new)] = new
        return sealed(bytes(b))

    raw = bytes.fromhex(S["state"])
    key32 = bytes(range(32))
    seed64 = bytes(range(64))

    def no_pq(s, keep_ot=False):
        s["policy"]["pq"] = 0
        s["lr_kems"] = []
        if not keep_ot:
            s["ot_kems"] = []

    def retire_raw(lst, i, rawb):
        def f(s):
            s[lst][i]["raw_retire"] = rawb
        return f

    spk_count_off = 89
    return [
        # section 4's envelope, in its order
        ("empty input", lambda: restore_store(b"", spk, sctx), "PKL-01"),
        ("identity pickle restored as a store", lambda: restore_store(ip, spk, sctx), "PKL-01"),
        ("store pickle restored as an identity", lambda: restore_identity(sp, ipk, ictx), "PKL-01"),
        ("session pickle tag 0x15", lambda: restore_store(b"\x15" + sp[1:], spk, sctx), "PKL-01"),
        ("version-0 first byte 0x01", lambda: restore_store(b"\x01" + sp[1:], spk, sctx), "PKL-01"),
        ("32 bytes", lambda: restore_store(sp[:32], spk, sctx), "PKL-02"),
        ("identity pickle of 98 bytes", lambda: restore_identity(ip + b"\x00", ipk, ictx), "PKL-05"),
        ("store pickle of 2^25 + 1 bytes", lambda: restore_store(sp + bytes(2**25 + 1 - len(sp)), spk, sctx),
         "PKL-05"),
        ("context of 65536 bytes", lambda: restore_store(sp, spk, bytes(65536)), "PKL-06"),
        ("context of 65536 bytes when sealing", lambda: seal(T_STORE_PICKLE, spk, salt, bytes(65536), raw), "PKL-06"),
        ("wrong key", lambda: restore_store(sp, bytes(32), sctx), "PKL-03"),
        ("wrong context (rollback: generation 2)", lambda: restore_store(sp, spk, sctx[:-1] + b"2"), "PKL-03"),
        ("identity: 65-byte state (98-byte pickle: PKL-05 before the tag)", sealed_id(bytes(65)), "PKL-05"),
        ("identity: 63-byte state", sealed_id(bytes(63)), "PKL-04 not 64"),
        ("identity: empty state", sealed_id(b""), "PKL-04 not 64"),
        ("identity: 64-byte state accepted", sealed_id(bytes(64)), None),
        # 4.2's PKL-04 rules, each on a correctly sealed state
        ("store: empty state", sealed(b""), "PKL-04 ends early"),
        ("store: state cut by one byte", sealed(raw[:-1]), "PKL-04 does not fit"),
        ("store: state with a trailing byte", sealed(raw + b"\x00"), "PKL-04 left over"),
        ("store: state cut inside the policy", sealed(raw[:70]), "PKL-04 ends early"),
        ("store: pq = 0x02", patch(64, b"\x02"), "PKL-04 pq 0x02"),
        ("store: pq = 0xff", patch(64, b"\xff"), "PKL-04 pq 0xff"),
        ("store: next_id 0", patch(85, bytes(4)), "PKL-04 next_id 0"),
        ("store: signed-prekey count 2^32 - 1", patch(spk_count_off, b"\xff" * 4), "PKL-04 does not fit"),
        ("store: signed-prekey count that does not fit (7)", patch(spk_count_off, u32be(7)), "PKL-04 does not fit"),
        ("store: one-time prekey count too large",
         patch(89 + 4 + 2 * 53, u32be(1000)), "PKL-04 does not fit"),
        ("store: replay count one too many", sealed(raw[:-36 - 4] + u32be(2) + raw[-36:]), "PKL-04 does not fit"),
        ("store: no signed prekey", st(lambda s: s.__setitem__("spks", [])), "PKL-04 no signed prekey"),
        ("store: signed prekeys reordered (last one retired)",
         st(lambda s: s.__setitem__("spks", s["spks"][::-1])), "PKL-04 not retired"),
        ("store: last-resort ML-KEM prekeys reordered",
         st(lambda s: s.__setitem__("lr_kems", s["lr_kems"][::-1])), "PKL-04 not retired"),
        ("store: an earlier signed prekey not retired",
         st(lambda s: s["spks"][0].__setitem__("retire", None)), "PKL-04 not retired"),
        ("store: the current signed prekey retired",
         st(lambda s: s["spks"][1].__setitem__("retire", 1764700000)), "PKL-04 last entry is retired"),
        ("store: the current last-resort ML-KEM prekey retired",
         st(lambda s: s["lr_kems"][1].__setitem__("retire", 1764700000)), "PKL-04 last entry is retired"),
        ("store: retire flag 0x02", st(retire_raw("spks", 0, b"\x02" + u64be(1764691200))), "PKL-04 neither"),
        ("store: retire flag 0xff on a last-resort ML-KEM prekey",
         st(retire_raw("lr_kems", 0, b"\xff" + u64be(1764691200))), "PKL-04 neither"),
        ("store: retire 0x00 with a non-zero time", st(retire_raw("spks", 1, b"\x00" + u64be(1))), "PKL-04 neither"),
        ("store: signed prekey id 0", st(lambda s: s["spks"][0].__setitem__("id", 0)), "PKL-04 id 0"),
        ("store: one-time prekey id 0", st(lambda s: s["opks"][0].__setitem__("id", 0)), "PKL-04 id 0"),
        ("store: last-resort ML-KEM prekey id 0", st(lambda s: s["lr_kems"][1].__setitem__("id", 0)), "PKL-04 id 0"),
        ("store: one-time ML-KEM prekey id 0",
         st(lambda s: s.__setitem__("ot_kems", [{"id": 0, "seed": seed64}])), "PKL-04 id 0"),
        ("store: signed prekey ids repeat", st(lambda s: s["spks"][1].__setitem__("id", s["spks"][0]["id"])),
         "PKL-04 ids repeat"),
        ("store: last-resort ML-KEM ids repeat",
         st(lambda s: s["lr_kems"][0].__setitem__("id", s["lr_kems"][1]["id"])), "PKL-04 ids repeat"),
        ("store: one-time prekeys not increasing",
         st(lambda s: s.__setitem__("opks", [{"id": 9, "private": key32}] + s["opks"])), "PKL-04 not strictly increasing"),
        ("store: one-time prekeys repeat an id",
         st(lambda s: s.__setitem__("opks", s["opks"] + [dict(s["opks"][0])])), "PKL-04 not strictly increasing"),
        ("store: one-time ML-KEM prekeys not increasing",
         st(lambda s: s.__setitem__("ot_kems", [{"id": 9, "seed": seed64}, {"id": 8, "seed": seed64}])), "PKL-04 not strictly increasing"),
        ("store: last-resort ML-KEM prekeys with pq = 0x00", st(lambda s: s["policy"].__setitem__("pq", 0)),
         "PKL-04 with pq = 0x00"),
        ("store: no last-resort ML-KEM prekey with pq = 0x01", st(lambda s: s.__setitem__("lr_kems", [])),
         "PKL-04 with pq = 0x01"),
        ("store: one-time ML-KEM prekeys with pq = 0x00",
         st(lambda s: (no_pq(s), s.__setitem__("ot_kems", [{"id": 9, "seed": seed64}]))), "PKL-04 one-time ML-KEM prekeys with pq = 0x00"),
        ("store: replay records repeated",
         st(lambda s: s.__setitem__("replay", s["replay"] * 2)), "PKL-04 replay records not strictly"),
        ("store: replay records out of order (spk_id)",
         st(lambda s: s.__setitem__("replay", [(6, key32)] + s["replay"])), "PKL-04 replay records not strictly"),
        ("store: replay records out of order (tag, as bytes)",
         st(lambda s: s.__setitem__("replay", [(1, b"\xff" + key32[1:]), (1, b"\x80" + key32[1:])])), "PKL-04 replay records not strictly"),
        ("store: an id in two lists (a one-time prekey with the current signed prekey's id)",
         st(lambda s: s["opks"][0].__setitem__("id", s["spks"][-1]["id"])), "PKL-04 an id held by two"),
        ("store: next_id held (the current signed prekey's id)",
         st(lambda s: s.__setitem__("next_id", s["spks"][-1]["id"])), "PKL-04 next_id"),
        ("store: a replay record under a signed prekey not held",
         st(lambda s: s.__setitem__("replay", [(999, key32)])), "PKL-04 a replay record under"),
        # well-formed variants 4.2 allows: must be accepted
        ("store: the vector's state", sealed(raw), None),
        ("store: classic (pq = 0x00, no ML-KEM prekeys, one-time ML-KEM count 3 ignored)",
         st(lambda s: (no_pq(s), s["policy"].__setitem__("kem_one_time_prekeys", 3))), None),
        ("store: signed prekey ids decreasing (the counter wrapped)",
         st(lambda s: (s["spks"][0].__setitem__("id", 2**32 - 1), s["lr_kems"][0].__setitem__("id", 5),
                       s.__setitem__("replay", [(2**32 - 1, t) for _, t in s["replay"]]))), None),
        ("store: one-time ML-KEM prekeys with pq = 0x01",
         st(lambda s: s.__setitem__("ot_kems", [{"id": 9, "seed": seed64}, {"id": 10, "seed": seed64}])), None),
        ("store: one signed prekey, nothing else held",
         st(lambda s: (no_pq(s), s.__setitem__("spks", s["spks"][1:]), s.__setitem__("opks", []),
                       s.__setitem__("replay", []))), None),
        ("store: replay records ordered by spk_id then tag",
         st(lambda s: s.__setitem__("replay", [(1, b"\x80" + key32[1:]), (1, b"\xff" + key32[1:]), (6, key32)])),
         None),
    ]


def self_test(v: dict) -> bool:
    ok, n = True, 0
    for desc, mutate, expect in mutations(v):
        w = copy.deepcopy(v)
        mutate(w)
        errs = run_file(w).errors
        n += 1
        if not errs:
            print(f"self-test: mutation NOT detected: {desc}")
            ok = False
        elif not any(expect in e for e in errs):
            print(f"self-test: mutation '{desc}' reported, but not at '{expect}'; first report:\n  {errs[0]}")
            ok = False
    refused = accepted = 0
    for desc, fn, expect in crafted(v):
        n += 1
        try:
            fn()
            if expect is not None:
                print(f"self-test: crafted input NOT refused (expected {expect}): {desc}")
                ok = False
            else:
                accepted += 1
        except ProtocolError as e:
            if expect is None:
                print(f"self-test: well-formed crafted input refused: {desc}: {e}")
                ok = False
            elif e.code != expect.split()[0] or expect.split(" ", 1)[-1] not in str(e):
                print(f"self-test: crafted input '{desc}' refused with {e}, expected {expect}")
                ok = False
            else:
                refused += 1
    nm = len(mutations(v))
    print(f"self-test: {nm} file mutations, {refused} crafted refusals, {accepted} crafted acceptances "
          f"({n} in all): {'all as expected' if ok else 'SOME NOT AS EXPECTED'}")
    return ok


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--self-test"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(__doc__)
        return 2
    path = Path(args[0]) if args else DEFAULT_FILE
    try:
        v = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"{FNAME}: FAIL: cannot load {path}: {e}")
        return 1
    ok = report(run_file(v), v)
    if "--self-test" in argv:
        ok &= self_test(v)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
