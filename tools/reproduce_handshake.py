#!/usr/bin/env python3
"""Independent reproduction of the Sotto/1 session-setup vectors (X3DH and PQXDH).

Written from docs/protocol.md alone (chapters 1, 2, 3, 5 and 7), without reading any of the Rust
sources (crates/, tests/, fuzz/). The Double Ratchet of chapter 3 is imported from
tools/reproduce_ratchet.py, the project's own independent implementation of that chapter.

For every case of docs/vectors/handshake.json this script:
  * checks the file's shape: the fields of section 7.9, lower-case hex, the byte lengths the spec
    gives, and `labels` against section 2's table (parsed from docs/protocol.md);
  * replays each party's random draws in the order section 7.9 gives (identities, section 7.7's
    store creation, section 7.4's draws, Bob's reply key), each draw of exactly the requested
    length, and checks that every draw is used;
  * rebuilds both devices (7.1): Ed25519 and X25519 identities, the prekey store with its id
    counter, `spk_signed` / `kem_signed` and their Ed25519 signatures (deterministic, so compared
    byte for byte), ML-KEM-768 key pairs from `d || z`;
  * builds the bundle (7.2) the relay hands out (7.7), compares its bytes, decodes the vector's
    bundle with HS-01..HS-03 and verifies it (HS-04, HS-05, strict Ed25519);
  * runs the initiator (7.4): ephemeral key, DH1..DH4, ML-KEM encapsulation from `m`, `ikm`, `SK`,
    `AD`, the first ratchet message (chapter 3, standard kind), and the initial message (7.5);
  * runs the responder (7.6) on the vector's initial message, decoded with HS-01..HS-03: the DHs
    recomputed from Bob's keys, decapsulation, decryption of the first message, the store commit
    (one-time keys deleted, last-resort kept, replay record: the same message again is HS-09);
  * runs the reply (Bob's first ratchet message, his ratchet key being his last draw) and has
    Alice decrypt the vector's reply;
  * checks the claims of 7.2 / 7.5 / 7.9 (sizes, which prekeys each case uses);
  * checks every case of docs/vectors/handshake-negative.json (7.10), found beside the vector file: the operation
    it names (decode_bundle, verify_bundle, decode_initial, respond with the store of a handshake.json case
    rebuilt from its draws, after its own initial message when `accepted_first`), run with this implementation,
    refuses with the case's validation ID, a respond refusal leaves the store unchanged, and every HS- ID has a
    case. Ed25519 verification is tools/reproduce_ed25519.py's, written from 7.1.

Usage: python3 tools/reproduce_handshake.py [--self-test] [VECTOR_FILE]
       (default: docs/vectors/handshake.json, found from this script's location)
  --self-test  also mutates in-memory copies of the vectors (one byte of a DH output, of the
               bundle, of a signature, an extra draw, ...) and asserts the checker reports each.
Needs `cryptography` and `kyber-py` (pip install cryptography kyber-py). Exits non-zero on any
mismatch.
"""
from __future__ import annotations

import copy
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from kyber_py.ml_kem import ML_KEM_768  # noqa: E402

import reproduce_ed25519 as red  # noqa: E402
import reproduce_ratchet as rr  # noqa: E402
from reproduce_ratchet import (  # noqa: E402
    Checker, Draws, ProtocolError, Session, VectorError, check_labels, dh, hkdf, public_key, u32be, _is_hex, _flip)

ROOT = rr.ROOT
DEFAULT_FILE = ROOT / "docs" / "vectors" / "handshake.json"
FNAME = "handshake.json"

HANDSHAKE_X3DH = rr._L["HANDSHAKE_X3DH"]
HANDSHAKE_PQXDH = rr._L["HANDSHAKE_PQXDH"]
SIGNED_PREKEY_SIGNATURE = rr._L["SIGNED_PREKEY_SIGNATURE"]
KEM_PREKEY_SIGNATURE = rr._L["KEM_PREKEY_SIGNATURE"]
HANDSHAKE_REPLAY_TAG = rr._L["HANDSHAKE_REPLAY_TAG"]

# Type tags (protocol.md, "Type tags"): format version 1 in the high nibble.
T_STD, T_HE, T_INITIAL, T_BUNDLE = 0x11, 0x12, 0x13, 0x14
# The version byte inside the prekey signatures' signed bytes (not a type tag).
SIG_VERSION = 0x01
KIND_LAST_RESORT, KIND_ONE_TIME = 0x01, 0x02
FLAG_OPK, FLAG_PQ = 0x01, 0x02
EK_LEN, CT_LEN = 1184, 1088  # ML-KEM-768 encapsulation key and ciphertext
MAX_SHOWN = 40


def u64be(x: int) -> bytes:
    return x.to_bytes(8, "big")


# ---------------------------------------------------------------- Ed25519 (7.1): tools/reproduce_ed25519.py
# Point decoding (rule 1) and strict verification (rules 1-5) on Python integers, written from 7.1;
# `cryptography` only signs (RFC 8032 signing is deterministic, and 7.1 says such signatures pass).
_L_ORDER = red.L


def ed_decode(b: bytes):
    """7.1 rule 1 (y reduced mod p, x = 0 with either sign bit); None if not a curve point."""
    return red.decode_point(b)


ed_verify_strict = red.verify_strict


def ed_public(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def ed_sign(seed: bytes, msg: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(msg)


# ---------------------------------------------------------------- ML-KEM-768 (FIPS 203)
def kem_keygen(seed: bytes) -> tuple[bytes, bytes]:
    """7.1: ML-KEM.KeyGen_internal(d, z) from 64 drawn bytes d || z. Returns (ek, dk)."""
    return ML_KEM_768._keygen_internal(seed[:32], seed[32:])


def kem_encaps(ek: bytes, m: bytes) -> tuple[bytes, bytes]:
    """7.3: ML-KEM-768.Encaps_internal(ek, m). Returns (CT, SS) in the spec's order (FIPS 203 gives (K, c))."""
    ss, ct = ML_KEM_768._encaps_internal(ek, m)
    return ct, ss


def kem_decaps(dk: bytes, ct: bytes) -> bytes:
    return ML_KEM_768.decaps(dk, ct)


def kem_modulus_ok(ek: bytes) -> bool:
    """FIPS 203 section 7.2 modulus check: every 12-bit coefficient of ek[0:1152] is below q = 3329."""
    t = ek[:1152]
    for i in range(0, len(t), 3):
        b0, b1, b2 = t[i], t[i + 1], t[i + 2]
        if (b0 | (b1 & 0x0F) << 8) >= 3329 or (b1 >> 4 | b2 << 4) >= 3329:
            return False
    return True


def hs_dh(priv: bytes, pub: bytes, what: str) -> bytes:
    try:
        return dh(priv, pub)
    except ProtocolError as e:
        raise ProtocolError("HS-07", f"{what}: all-zero X25519 output") from e


# ---------------------------------------------------------------- 7.1 keys, 7.7 the prekey store
class Device:
    def __init__(self, rng):
        self.signing_seed = rng(32)                     # 7.1: Ed25519 seed first
        self.signing_public = ed_public(self.signing_seed)
        self.identity_private = rng(32)                 # then the X25519 identity key
        self.identity_public = public_key(self.identity_private)
        self.encoded = self.signing_public + self.identity_public


def spk_signed(identity_key: bytes, spk_id: int, timestamp: int, pq: int, spk_public: bytes) -> bytes:
    return (SIGNED_PREKEY_SIGNATURE + bytes([SIG_VERSION]) + identity_key + u32be(spk_id) + u64be(timestamp)
            + bytes([pq]) + spk_public)


def kem_signed(identity_key: bytes, kind: int, kem_id: int, ek: bytes) -> bytes:
    return KEM_PREKEY_SIGNATURE + bytes([SIG_VERSION]) + identity_key + bytes([kind]) + u32be(kem_id) + ek


class Store:
    """The reference store of 7.7, created from the device's draws."""

    def __init__(self, dev: Device, rng, now: int, post_quantum: bool, n_opk: int, n_kem: int):
        self.dev, self.next_id = dev, 1
        self.spk = {"private": rng(32), "id": self._id(), "timestamp": now, "post_quantum": 1 if post_quantum else 0}
        self._sign_spk(self.spk)
        self.kem: list[dict] = []
        if post_quantum:
            self.kem.append(self._kem(rng, KIND_LAST_RESORT))
        self.opks = []
        for _ in range(n_opk):
            priv = rng(32)
            self.opks.append({"id": self._id(), "private": priv, "public": public_key(priv)})
        if not post_quantum:
            n_kem = 0  # 7.7: a device without ML-KEM prekeys ignores the one-time ML-KEM count
        for _ in range(n_kem):
            self.kem.append(self._kem(rng, KIND_ONE_TIME))
        self.spks = {self.spk["id"]: self.spk}
        self.replay: set[tuple[int, bytes]] = set()

    def _id(self) -> int:
        i, self.next_id = self.next_id, self.next_id + 1
        return i

    def _sign_spk(self, s: dict) -> None:
        s["public"] = public_key(s["private"])
        s["signed_message"] = spk_signed(self.dev.identity_public, s["id"], s["timestamp"], s["post_quantum"],
                                         s["public"])
        s["signature"] = ed_sign(self.dev.signing_seed, s["signed_message"])

    def _kem(self, rng, kind: int) -> dict:
        seed = rng(64)
        ek, dk = kem_keygen(seed)
        k = {"kind": kind, "id": self._id(), "seed": seed, "public": ek, "dk": dk}
        k["signed_message"] = kem_signed(self.dev.identity_public, kind, k["id"], ek)
        k["signature"] = ed_sign(self.dev.signing_seed, k["signed_message"])
        return k

    def relay_bundle(self) -> tuple[dict, dict | None, dict | None]:
        """7.7 Relay: first unused one-time prekey; first unused one-time ML-KEM prekey, else the last-resort one."""
        opk = self.opks[0] if self.opks else None
        kem = next((k for k in self.kem if k["kind"] == KIND_ONE_TIME), None)
        if kem is None:
            kem = next((k for k in self.kem if k["kind"] == KIND_LAST_RESORT), None)
        b = {"identity": self.dev.encoded, "spk_id": self.spk["id"], "spk_timestamp": self.spk["timestamp"],
             "pq": self.spk["post_quantum"], "spk_public": self.spk["public"], "spk_signature": self.spk["signature"],
             "opk": None if opk is None else {"id": opk["id"], "public": opk["public"]},
             "kem": None if kem is None else {"kind": kem["kind"], "id": kem["id"], "public": kem["public"],
                                              "signature": kem["signature"]}}
        return b, opk, kem


# ---------------------------------------------------------------- 7.2 bundle: encoding, decoding, verification
def encode_bundle(b: dict) -> bytes:
    out = (bytes([T_BUNDLE]) + b["identity"] + u32be(b["spk_id"]) + u64be(b["spk_timestamp"]) + bytes([b["pq"]])
           + b["spk_public"] + b["spk_signature"])
    out += b"\x00" if b["opk"] is None else b"\x01" + u32be(b["opk"]["id"]) + b["opk"]["public"]
    k = b["kem"]
    out += b"\x00" if k is None else b"\x01" + bytes([k["kind"]]) + u32be(k["id"]) + k["public"] + k["signature"]
    return out


class Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.data):
            raise ProtocolError("HS-02", f"truncated: {what} needs {n} bytes at offset {self.pos}, "
                                         f"{len(self.data) - self.pos} left")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "big")


def _check_version(data: bytes, tag: int) -> None:
    v = data[0] if data else 0
    if v != tag:
        raise ProtocolError("HS-01", f"unknown version or type tag {v:#04x}")


def _presence(r: Reader, what: str) -> bool:
    p = r.byte(f"{what} presence byte")
    if p not in (0, 1):
        raise ProtocolError("HS-03", f"{what} presence byte {p:#04x}")
    return p == 1


def _x25519(r: Reader, what: str) -> bytes:
    """Chapter 7: every X25519 public key in a bundle or initial message is canonical, below p (HS-03)."""
    k = r.take(32, what)
    if int.from_bytes(k, "little") >= 2**255 - 19:
        raise ProtocolError("HS-03", f"{what}: X25519 key not canonical")
    return k


def _identity(r: Reader) -> bytes:
    signing = r.take(32, "identity signing key")
    if ed_decode(signing) is None:
        raise ProtocolError("HS-03", "identity: the Ed25519 signing key is not a curve point")
    return signing + _x25519(r, "identity X25519 key")


def _kind(r: Reader) -> int:
    k = r.byte("ML-KEM prekey kind")
    if k not in (KIND_LAST_RESORT, KIND_ONE_TIME):
        raise ProtocolError("HS-03", f"ML-KEM prekey kind {k:#04x}")
    return k


def decode_bundle(data: bytes) -> dict:
    """7.2 decoding, HS-01..HS-03 in the order of the layout."""
    _check_version(data, T_BUNDLE)
    r = Reader(data, 1)
    b = {"identity": _identity(r), "spk_id": r.u32("spk_id"),
         "spk_timestamp": int.from_bytes(r.take(8, "spk_timestamp"), "big")}
    b["pq"] = r.byte("pq")
    if b["pq"] not in (0, 1):
        raise ProtocolError("HS-03", f"pq flag {b['pq']:#04x}")
    b["spk_public"], b["spk_signature"] = _x25519(r, "spk_public"), r.take(64, "spk_signature")
    b["opk"] = {"id": r.u32("opk_id"), "public": _x25519(r, "opk_public")} if _presence(r, "opk") else None
    b["kem"] = None
    if _presence(r, "kem"):
        k = {"kind": _kind(r), "id": r.u32("kem_id"), "public": r.take(EK_LEN, "kem_public")}
        if not kem_modulus_ok(k["public"]):
            raise ProtocolError("HS-03", "kem_public fails the FIPS 203 modulus check")
        k["signature"] = r.take(64, "kem_signature")
        b["kem"] = k
    if r.pos != len(data):
        raise ProtocolError("HS-02", f"{len(data) - r.pos} trailing bytes")
    return b


def verify_bundle(b: dict) -> str:
    """7.2 verification (HS-04, HS-05) in order; returns the mode, 'pqxdh' or 'x3dh'."""
    signing_key, identity_key = b["identity"][:32], b["identity"][32:]
    msg = spk_signed(identity_key, b["spk_id"], b["spk_timestamp"], b["pq"], b["spk_public"])
    why = ed_verify_strict(signing_key, msg, b["spk_signature"])
    if why:
        raise ProtocolError("HS-04", f"spk_signature: {why}")
    k = b["kem"]
    if b["pq"] == 1 and k is not None:
        why = ed_verify_strict(signing_key, kem_signed(identity_key, k["kind"], k["id"], k["public"]), k["signature"])
        if why:
            raise ProtocolError("HS-04", f"kem_signature: {why}")
        return "pqxdh"
    if b["pq"] == 1:
        raise ProtocolError("HS-05", "downgrade: pq = 0x01 but no ML-KEM prekey")
    if k is not None:
        raise ProtocolError("HS-05", "unexpected ML-KEM prekey: pq = 0x00")
    return "x3dh"


# ---------------------------------------------------------------- 7.3 key agreement
def derive(dhs: list[bytes], ss: bytes | None, id_a: bytes, id_b: bytes) -> tuple[bytes, bytes, bytes]:
    ikm = b"\xff" * 32 + b"".join(dhs) + (ss or b"")
    sk = hkdf(bytes(32), ikm, HANDSHAKE_PQXDH if ss is not None else HANDSHAKE_X3DH, 32)
    return ikm, sk, id_a + id_b


# ---------------------------------------------------------------- 7.4 initiator, 7.5 initial message
def encode_initial(identity: bytes, ek_pub: bytes, spk_id: int, opk_id: int | None,
                   kem: tuple[int, int, bytes] | None, ratchet_message: bytes) -> bytes:
    flags = (FLAG_OPK if opk_id is not None else 0) | (FLAG_PQ if kem is not None else 0)
    out = bytes([T_INITIAL, flags]) + identity + ek_pub + u32be(spk_id)
    if opk_id is not None:
        out += u32be(opk_id)
    if kem is not None:
        out += bytes([kem[0]]) + u32be(kem[1]) + kem[2]
    return out + ratchet_message


def decode_ratchet(m: bytes) -> None:
    """3.5 decoding, RAT-01..RAT-03 in order (limits per 3.5: 2^24 + 57 for 0x11, 2^24 + 89 for 0x12)."""
    if not m or m[0] not in (T_STD, T_HE):
        raise ProtocolError("RAT-01", f"unknown ratchet message version or type tag {m[0] if m else 0:#04x}")
    fixed = 57 if m[0] == T_STD else 89
    if len(m) < fixed:
        raise ProtocolError("RAT-02", "ratchet message truncated")
    if len(m) > 2**24 + fixed:
        raise ProtocolError("RAT-03", "ratchet message too long")


def decode_initial(data: bytes) -> dict:
    """7.5 decoding, HS-01..HS-03: type tag, flags, identity point, fields, kind, the ratchet message."""
    _check_version(data, T_INITIAL)
    r = Reader(data, 1)
    flags = r.byte("flags")
    if flags & ~(FLAG_OPK | FLAG_PQ):
        raise ProtocolError("HS-03", f"flags {flags:#04x}: unknown bits")
    m = {"flags": flags, "identity": _identity(r), "ek_pub": _x25519(r, "EK_a_public"), "spk_id": r.u32("spk_id")}
    m["opk_id"] = r.u32("opk_id") if flags & FLAG_OPK else None
    m["kem"] = None
    if flags & FLAG_PQ:
        m["kem"] = (_kind(r), r.u32("kem_id"), r.take(CT_LEN, "CT"))
    m["ratchet_message"] = data[r.pos:]
    try:
        decode_ratchet(m["ratchet_message"])
    except ProtocolError as e:
        raise ProtocolError("HS-02", f"embedded ratchet message: {e}") from e
    return m


def initiate(alice: Device, bundle: dict, plaintext: bytes, rng, require_pq: bool = False) -> dict:
    """7.4 on a verified bundle; returns every intermediate value."""
    if require_pq and bundle["kem"] is None:
        raise ProtocolError("HS-06", "post-quantum required, bundle has no ML-KEM prekey")
    t = {"ephemeral_private": rng(32)}
    ek = t["ephemeral_private"]
    t["ephemeral_public"] = public_key(ek)
    ik_b, spk_b = bundle["identity"][32:], bundle["spk_public"]
    dhs = [hs_dh(alice.identity_private, spk_b, "DH1"), hs_dh(ek, ik_b, "DH2"), hs_dh(ek, spk_b, "DH3")]
    if bundle["opk"] is not None:
        dhs.append(hs_dh(ek, bundle["opk"]["public"], "DH4"))
    t["dh_outputs"] = dhs
    ss = ct = m = None
    if bundle["kem"] is not None:
        m = rng(32)
        ct, ss = kem_encaps(bundle["kem"]["public"], m)
    t.update(kem_encapsulation_message=m, kem_ciphertext=ct, kem_shared_secret=ss)
    t["ikm"], t["session_secret"], t["associated_data"] = derive(dhs, ss, alice.encoded, bundle["identity"])
    session = Session.initiator(False, t["session_secret"], t["associated_data"], spk_b, rng)
    t["ratchet_message"], _ = session.encrypt(plaintext)
    t["initial_message"] = encode_initial(
        alice.encoded, t["ephemeral_public"], bundle["spk_id"],
        None if bundle["opk"] is None else bundle["opk"]["id"],
        None if bundle["kem"] is None else (bundle["kem"]["kind"], bundle["kem"]["id"], ct),
        t["ratchet_message"])
    t["session"] = session
    return t


# ---------------------------------------------------------------- 7.6 responder
def respond(store: Store, msg: dict, rng, require_pq: bool = False, expected: bytes | None = None) -> dict:
    """7.6 steps 1..8 on a decoded initial message, in that order; the store changes only in step 8. Before step 1,
    7.11's HS-11: the message's 64-byte initiator identity must be `expected`, the identity the caller trusts."""
    if expected is not None and msg["identity"] != expected:
        raise ProtocolError("HS-11", "the initiator is not the expected device")
    if require_pq and msg["kem"] is None:  # step 1
        raise ProtocolError("HS-06", "post-quantum required, message has no ML-KEM part")
    spk = store.spks.get(msg["spk_id"])  # step 2
    if spk is None:
        raise ProtocolError("HS-08", f"unknown signed prekey {msg['spk_id']}")
    if spk["post_quantum"] == 1 and msg["kem"] is None:
        raise ProtocolError("HS-05", "downgrade: the SPK is post-quantum, the message has no ML-KEM part")
    if spk["post_quantum"] == 0 and msg["kem"] is not None:
        raise ProtocolError("HS-05", "the SPK is not post-quantum, the message has an ML-KEM part")
    ik_a, ek_a = msg["identity"][32:], msg["ek_pub"]
    dhs = [hs_dh(spk["private"], ik_a, "DH1"), hs_dh(store.dev.identity_private, ek_a, "DH2"),  # step 3
           hs_dh(spk["private"], ek_a, "DH3")]
    replay_tag = hkdf(None, dhs[1] + dhs[2], HANDSHAKE_REPLAY_TAG, 32)  # step 4
    if (msg["spk_id"], replay_tag) in store.replay:
        raise ProtocolError("HS-09", "initial message already accepted")
    opk = None
    if msg["opk_id"] is not None:
        opk = next((o for o in store.opks if o["id"] == msg["opk_id"]), None)
        if opk is None:
            raise ProtocolError("HS-08", f"unknown one-time prekey {msg['opk_id']}")
        dhs.append(hs_dh(opk["private"], ek_a, "DH4"))
    ss = kem = None
    if msg["kem"] is not None:  # step 5
        kind, kem_id, ct = msg["kem"]
        kem = next((k for k in store.kem if k["kind"] == kind and k["id"] == kem_id), None)
        if kem is None:
            raise ProtocolError("HS-08", f"unknown ML-KEM prekey kind {kind} id {kem_id}")
        ss = kem_decaps(kem["dk"], ct)
    ikm, sk, ad = derive(dhs, ss, msg["identity"], store.dev.encoded)
    session = Session.responder(False, sk, ad, spk["private"], rng)
    try:
        plaintext = session.decrypt(msg["ratchet_message"])
    except ProtocolError as e:
        raise ProtocolError("HS-10", f"first ratchet message: {e}") from e
    if opk is not None:  # step 8: commit
        store.opks.remove(opk)
    if kem is not None and kem["kind"] == KIND_ONE_TIME:
        store.kem.remove(kem)
    store.replay.add((msg["spk_id"], replay_tag))
    return {"dh_outputs": dhs, "kem_shared_secret": ss, "ikm": ikm, "session_secret": sk, "associated_data": ad,
            "plaintext": plaintext, "session": session, "initiator_identity": msg["identity"]}


# ---------------------------------------------------------------- 7.9 the vector file
TOP_FIELDS = ["description", "labels", "now", "cases"]
# `name` and `mode` are in the file but not in 7.9's table (reported in the review, accepted here).
CASE_FIELDS = ["name", "mode", "policy", "alice_random_draws", "bob_random_draws", "alice", "bob", "signed_prekey",
               "one_time_prekey", "kem_prekey", "bundle", "ephemeral_private", "ephemeral_public", "dh_outputs",
               "kem_encapsulation_message", "kem_ciphertext", "kem_shared_secret", "ikm", "session_secret",
               "associated_data", "first_plaintext", "ratchet_message", "initial_message", "reply_plaintext",
               "reply_message"]
POLICY_FIELDS = ["post_quantum", "one_time_prekeys", "kem_one_time_prekeys"]
DEVICE_FIELDS = {"signing_seed": 32, "signing_public": 32, "identity_private": 32, "identity_public": 32,
                 "encoded": 64}
SPK_FIELDS = {"id": None, "timestamp": None, "post_quantum": None, "private": 32, "public": 32,
              "signed_message": 99, "signature": 64}
OPK_FIELDS = {"id": None, "private": 32, "public": 32}
KEM_FIELDS = {"kind": None, "id": None, "seed": 64, "public": EK_LEN, "signed_message": 1243, "signature": 64}
CASE_HEX = {"bundle": None, "ephemeral_private": 32, "ephemeral_public": 32, "ikm": None, "session_secret": 32,
            "associated_data": 128, "first_plaintext": None, "ratchet_message": None, "initial_message": None,
            "reply_plaintext": None, "reply_message": None}
PQ_HEX = {"kem_encapsulation_message": 32, "kem_ciphertext": CT_LEN, "kem_shared_secret": 32}
CASE_CLAIMS = {  # 7.9: the five cases: (mode, one-time prekey used, kind of the ML-KEM prekey used)
    "pqxdh": ("pqxdh", True, KIND_ONE_TIME),
    "pqxdh-last-resort-no-one-time-prekey": ("pqxdh", False, KIND_LAST_RESORT),
    "x3dh": ("x3dh", True, None),
    "x3dh-no-one-time-prekey": ("x3dh", False, None),
    "x3dh-kem-one-time-count-ignored": ("x3dh", True, None),  # 7.7: the ML-KEM count is ignored
}


def check_shape_top(v: dict, c: Checker) -> None:
    c.eq("top-level fields", sorted(TOP_FIELDS), sorted(v))
    if not isinstance(v.get("description"), str):
        c.fail("description", "not a string")
    if not (isinstance(v.get("now"), int) and not isinstance(v.get("now"), bool) and 0 <= v["now"] < 2**64):
        c.fail("now", f"{v.get('now')!r} is not a u64")
    c.eq("cases: names, in 7.9's order", list(CASE_CLAIMS), [x.get("name") for x in v.get("cases", [])])


def check_shape_case(x: dict, c: Checker, p: str) -> None:
    c.eq(f"{p}: field set", sorted(CASE_FIELDS), sorted(x))

    def hexlen(path, val, n=None):
        c.checks += 1
        if not _is_hex(val):
            c.fail(f"{p}: {path}", f"not lower-case two-digit hex: {str(val)[:80]!r}")
        elif n is not None and len(val) != 2 * n:
            c.fail(f"{p}: {path}", f"is {len(val) // 2} bytes, the spec gives {n}")

    def isint(path, val, bits):
        c.checks += 1
        if not (isinstance(val, int) and not isinstance(val, bool) and 0 <= val < 2**bits):
            c.fail(f"{p}: {path}", f"{val!r} is not a u{bits}")

    def obj(name, fields):
        o = x.get(name)
        if not isinstance(o, dict):
            c.fail(f"{p}: {name}", f"not an object: {o!r}")
            return
        c.eq(f"{p}: {name} field set", sorted(fields), sorted(o))
        for k, n in fields.items():
            if k in o:
                if n is None:
                    isint(f"{name}.{k}", o[k], 64 if k == "timestamp" else 32 if k == "id" else 8)
                else:
                    hexlen(f"{name}.{k}", o[k], n)

    pol = x.get("policy")
    if isinstance(pol, dict):
        c.eq(f"{p}: policy field set", sorted(POLICY_FIELDS), sorted(pol))
        if not isinstance(pol.get("post_quantum"), bool):
            c.fail(f"{p}: policy.post_quantum", f"{pol.get('post_quantum')!r} is not a boolean")
        for k in POLICY_FIELDS[1:]:
            isint(f"policy.{k}", pol.get(k), 32)
    else:
        c.fail(f"{p}: policy", "not an object")
    for who in ("alice", "bob"):
        obj(who, DEVICE_FIELDS)
        draws = x.get(f"{who}_random_draws")
        if not isinstance(draws, list):
            c.fail(f"{p}: {who}_random_draws", "not a list")
        else:
            for j, d in enumerate(draws):
                hexlen(f"{who}_random_draws[{j}]", d)
    obj("signed_prekey", SPK_FIELDS)
    if x.get("one_time_prekey") is not None:
        obj("one_time_prekey", OPK_FIELDS)
    if x.get("kem_prekey") is not None:
        obj("kem_prekey", KEM_FIELDS)
    for k, n in CASE_HEX.items():
        hexlen(k, x.get(k), n)
    dhs = x.get("dh_outputs")
    if not (isinstance(dhs, list) and len(dhs) in (3, 4)):
        c.fail(f"{p}: dh_outputs", f"not a list of 3 or 4 DH outputs: {dhs!r}")
    else:
        for j, d in enumerate(dhs):
            hexlen(f"dh_outputs[{j}]", d, 32)
    for k, n in PQ_HEX.items():
        if x.get(k) is not None:
            hexlen(k, x[k], n)
    if x.get("mode") not in ("pqxdh", "x3dh"):
        c.fail(f"{p}: mode", f"{x.get('mode')!r} is not 'pqxdh' or 'x3dh'")


DH_NAMES = ["DH1", "DH2", "DH3", "DH4"]


def _flat(o, prefix: str = "") -> list[tuple[str, object]]:
    """A decoded bundle as (dotted name, int or hex) pairs, for field-by-field diffs."""
    out: list[tuple[str, object]] = []
    for k, val in o.items():
        if isinstance(val, dict):
            out += _flat(val, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", val.hex() if isinstance(val, bytes) else val))
    return out


def _eq_dhs(c: Checker, p: str, exp, got: list[bytes], who: str) -> None:
    c.eq(f"{p}: dh_outputs (count, {who})", len(exp), len(got))
    for j, d in enumerate(got):
        if j < len(exp):
            c.eq(f"{p}: dh_outputs[{j}] ({DH_NAMES[j]}, {who})", exp[j], d)


def run_case(x: dict, now: int, c: Checker, p: str) -> dict:
    """Reproduce one case; returns facts for the summary line."""
    h = bytes.fromhex
    facts: dict = {}
    pol = x["policy"]
    rng_a = Draws(f"{p}: alice", [h(d) for d in x["alice_random_draws"]])
    rng_b = Draws(f"{p}: bob", [h(d) for d in x["bob_random_draws"]])

    # ---- 7.1 identities (7.9: Alice's identity 32 + 32, Bob's identity 32 + 32)
    alice, bob = Device(rng_a), Device(rng_b)
    for who, dev in (("alice", alice), ("bob", bob)):
        for k in DEVICE_FIELDS:
            c.eq(f"{p}: {who}.{k}", x[who][k], getattr(dev, k))

    # ---- 7.7 store creation, 7.1 signed objects, relay
    store = Store(bob, rng_b, now, pol["post_quantum"], pol["one_time_prekeys"], pol["kem_one_time_prekeys"])
    spk = store.spk
    for k in SPK_FIELDS:
        c.eq(f"{p}: signed_prekey.{k}", x["signed_prekey"][k], spk[k])
    bundle_own, opk, kem = store.relay_bundle()
    c.eq(f"{p}: one_time_prekey (present)", x["one_time_prekey"] is not None, opk is not None)
    if opk is not None and x["one_time_prekey"] is not None:
        for k in OPK_FIELDS:
            c.eq(f"{p}: one_time_prekey.{k}", x["one_time_prekey"][k], opk[k])
    c.eq(f"{p}: kem_prekey (present)", x["kem_prekey"] is not None, kem is not None)
    if kem is not None and x["kem_prekey"] is not None:
        for k in KEM_FIELDS:
            c.eq(f"{p}: kem_prekey.{k}", x["kem_prekey"][k], kem[k])
    own_bundle_bytes = encode_bundle(bundle_own)
    c.eq(f"{p}: bundle", x["bundle"], own_bundle_bytes)
    facts["bundle_len"] = len(own_bundle_bytes)

    # ---- 7.2 the vector's bundle: decode, compare to the store's, verify
    bundle = bundle_own
    try:
        vb = decode_bundle(h(x["bundle"]))
        mode = verify_bundle(vb)
        for k, exp_val in _flat(vb):  # the vector's bundle, field by field, against the store's
            c.eq(f"{p}: bundle decoded: {k} (vector's bundle vs the store's)", exp_val, dict(_flat(bundle_own)).get(k))
        c.eq(f"{p}: bundle decoded: field set", [k for k, _ in _flat(vb)], [k for k, _ in _flat(bundle_own)])
        bundle = vb
    except ProtocolError as e:
        c.fail(f"{p}: bundle", f"the vector's bundle is refused: {e} (continuing with this script's bundle)")
        mode = verify_bundle(bundle_own)
    c.eq(f"{p}: mode", x["mode"], mode)
    facts["mode"] = mode
    want_mode, want_opk, want_kind = CASE_CLAIMS.get(x["name"], (None, None, None))
    if x["name"] in CASE_CLAIMS:  # 7.9's description of the four cases
        c.eq(f"{p}: 7.9 claim: mode", want_mode, mode)
        c.eq(f"{p}: 7.9 claim: one-time prekey used", want_opk, bundle["opk"] is not None)
        c.eq(f"{p}: 7.9 claim: ML-KEM prekey kind", want_kind, None if bundle["kem"] is None else bundle["kem"]["kind"])

    # ---- 7.4 initiator (and HS-06 refuses a classic bundle before any draw)
    if bundle["kem"] is None:
        pos = rng_a.pos
        try:
            initiate(alice, bundle, b"", rng_a, require_pq=True)
            c.fail(f"{p}: 7.4 step 1", "require_pq accepted a bundle without ML-KEM prekey")
        except ProtocolError as e:
            c.eq(f"{p}: 7.4 step 1: require_pq on a classic bundle", "HS-06", e.code)
        c.eq(f"{p}: 7.4 step 1 draws nothing", pos, rng_a.pos)
    t = initiate(alice, bundle, h(x["first_plaintext"]), rng_a)
    for k in ("ephemeral_private", "ephemeral_public"):
        c.eq(f"{p}: {k}", x[k], t[k])
    _eq_dhs(c, p, x["dh_outputs"], t["dh_outputs"], "initiator")
    for k in ("kem_encapsulation_message", "kem_ciphertext", "kem_shared_secret"):
        if t[k] is None or x[k] is None:
            c.eq(f"{p}: {k}", x[k], None if t[k] is None else t[k].hex())
        else:
            c.eq(f"{p}: {k}", x[k], t[k])
    for k in ("ikm", "session_secret", "associated_data", "ratchet_message", "initial_message"):
        c.eq(f"{p}: {k}", x[k], t[k])
    facts["initial_len"] = len(t["initial_message"])
    alice_session = t["session"]

    # ---- 7.5: the vector's initial message, decoded
    own_initial = t["initial_message"]
    try:
        msg = decode_initial(h(x["initial_message"]))
    except ProtocolError as e:
        c.fail(f"{p}: initial_message", f"the vector's initial message is refused: {e} (continuing with this "
                                        f"script's)")
        msg = decode_initial(own_initial)
    c.eq(f"{p}: initial_message decoded: flags", (FLAG_OPK if bundle["opk"] else 0) | (FLAG_PQ if bundle["kem"] else 0),
         msg["flags"])
    c.eq(f"{p}: initial_message decoded: embedded ratchet message", x["ratchet_message"], msg["ratchet_message"])

    # ---- 7.6 responder
    before = (len(store.opks), [(k["kind"], k["id"]) for k in store.kem])
    try:
        r = respond(store, msg, rng_b)
    except ProtocolError as e:
        if decode_initial(own_initial) == msg:
            raise
        c.fail(f"{p}: initial_message", f"the responder refuses the vector's initial message: {e} (continuing "
                                        f"with this script's)")
        msg = decode_initial(own_initial)
        r = respond(store, msg, rng_b)
    _eq_dhs(c, p, x["dh_outputs"], r["dh_outputs"], "responder")
    c.eq(f"{p}: kem_shared_secret (responder, decapsulated)", x["kem_shared_secret"],
         None if r["kem_shared_secret"] is None else r["kem_shared_secret"].hex())
    for k in ("ikm", "session_secret", "associated_data"):
        c.eq(f"{p}: {k} (responder)", x[k], r[k])
    c.eq(f"{p}: first_plaintext (responder, decrypted)", x["first_plaintext"], r["plaintext"])
    c.eq(f"{p}: initiator identity returned by the responder", x["alice"]["encoded"], r["initiator_identity"])
    # step 8: the one-time prekey and a one-time ML-KEM prekey are gone, a last-resort one stays
    c.eq(f"{p}: 7.6 step 8: one-time prekeys left", before[0] - (1 if msg["opk_id"] is not None else 0), len(store.opks))
    used = msg["kem"][:2] if msg["kem"] else None
    c.eq(f"{p}: 7.6 step 8: ML-KEM prekeys left",
         repr([k for k in before[1] if not (used and used[0] == KIND_ONE_TIME and k == used)]),
         repr([(k["kind"], k["id"]) for k in store.kem]))
    try:  # HS-09: the same initial message again (a replay), store unchanged
        snapshot = (list(store.opks), list(store.kem), set(store.replay), rng_b.pos)
        respond(store, msg, rng_b)
        c.fail(f"{p}: 7.6 replay", "the same initial message was accepted twice")
    except ProtocolError as e:
        c.eq(f"{p}: 7.6 replay of the initial message", "HS-09", e.code)
        c.eq(f"{p}: 7.6 replay: store unchanged", True,
             snapshot == (list(store.opks), list(store.kem), set(store.replay), rng_b.pos))

    # ---- the reply: Bob's ratchet key is his last draw; Alice decrypts the vector's reply
    bob_session = r["session"]
    reply, _ = bob_session.encrypt(h(x["reply_plaintext"]))
    c.eq(f"{p}: reply_message", x["reply_message"], reply)
    try:
        c.eq(f"{p}: reply_plaintext (initiator, decrypted from the vector's reply_message)", x["reply_plaintext"],
             alice_session.decrypt(h(x["reply_message"])))
    except ProtocolError as e:
        c.fail(f"{p}: reply_message", f"the initiator refuses the vector's reply: {e}")

    # ---- strict draws: everything consumed
    c.eq(f"{p}: alice_random_draws: number consumed", len(x["alice_random_draws"]), rng_a.pos)
    c.eq(f"{p}: bob_random_draws: number consumed", len(x["bob_random_draws"]), rng_b.pos)
    facts["draws"] = f"{len(x['alice_random_draws'])}+{len(x['bob_random_draws'])}"

    # ---- size claims of 7.2 and 7.5 (fresh randomness, not compared to the vector)
    c.eq(f"{p}: 7.2 size: bundle", 176 + (36 if bundle["opk"] else 0) + (1253 if bundle["kem"] else 0),
         len(own_bundle_bytes))
    rnd = os.urandom
    t100 = initiate(alice, bundle, bytes(100), lambda n: rnd(n))
    claim = {(True, True): 1356, (False, True): 263}.get((bundle["kem"] is not None, bundle["opk"] is not None))
    expect = 102 + (4 if bundle["opk"] else 0) + (1093 if bundle["kem"] else 0) + 157
    c.eq(f"{p}: 7.5 size with a 100-byte plaintext", expect, len(t100["initial_message"]))
    if claim is not None:
        c.eq(f"{p}: 7.5 claim with a 100-byte plaintext", claim, len(t100["initial_message"]))
    return facts


def run_file(v: dict) -> tuple[Checker, list[tuple[str, Checker, dict]]]:
    top = Checker(FNAME)
    cases = []
    try:
        check_shape_top(v, top)
        check_labels(v, top, None)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        top.fail("aborted", f"{type(e).__name__}: {e}")
        return top, cases
    for i, x in enumerate(v.get("cases", [])):
        p = f"cases[{i}] ({x.get('name') if isinstance(x, dict) else '?'})"
        c = Checker(FNAME)
        facts: dict = {}
        try:
            check_shape_case(x, c, p)
            if not c.errors:
                facts = run_case(x, v["now"], c, p)
        except (VectorError, ProtocolError, KeyError, ValueError, TypeError, IndexError, AttributeError) as e:
            c.fail(f"{p}: aborted", f"{type(e).__name__}: {e}")
        cases.append((p, c, facts))
    return top, cases


def all_errors(top: Checker, cases) -> list[str]:
    return top.errors + [e for _, c, _ in cases for e in c.errors]


def report(top: Checker, cases, v: dict) -> bool:
    ok = True
    for e in top.errors[:MAX_SHOWN]:
        print(e)
    if top.errors:
        print(f"{FNAME}: FAIL: {len(top.errors)} mismatch(es) in the file's shape or labels")
        ok = False
    for p, c, f in cases:
        for e in c.errors[:MAX_SHOWN]:
            print(e)
        if len(c.errors) > MAX_SHOWN:
            print(f"{FNAME}: {p}: ... {len(c.errors) - MAX_SHOWN} more mismatch(es) not shown")
        if c.errors:
            print(f"{FNAME}: {p}: FAIL: {len(c.errors)} mismatch(es) in {c.checks} checks")
            ok = False
        else:
            print(f"{FNAME}: {p}: OK: {f['mode']}, bundle {f['bundle_len']} B, initial message "
                  f"{f['initial_len']} B, {f['draws']} draws, {c.checks} checks: all match")
    if not cases:
        print(f"{FNAME}: FAIL: no cases")
        ok = False
    return ok


# ---------------------------------------------------------------- 7.10: handshake-negative.json
NEG_FNAME = "handshake-negative.json"
NEG_CASE_FIELDS = sorted(["id", "validation_id", "comment", "operation", "store", "accepted_first",
                          "require_post_quantum", "input", "expected_error", "state_unchanged"])


def rebuild_store(x: dict, now: int) -> tuple[Store, Draws]:
    """7.10: the responder store of a handshake.json case, rebuilt from its `bob_random_draws` (7.9: identity, then
    7.7's creation draws), with `now` and its policy."""
    rng = Draws(f"{x['name']}: bob", [bytes.fromhex(d) for d in x["bob_random_draws"]])
    pol = x["policy"]
    return Store(Device(rng), rng, now, pol["post_quantum"], pol["one_time_prekeys"], pol["kem_one_time_prekeys"]), rng


def store_snapshot(store: Store):
    return ([o["id"] for o in store.opks], [(k["kind"], k["id"]) for k in store.kem], sorted(store.replay),
            sorted(store.spks))


def run_negative(neg: dict, pos: dict, respond_fn=None) -> Checker:
    """Every case of 7.10, by its operation. `respond_fn` replaces `respond` (the self-test shows a change is caught)."""
    c = Checker(NEG_FNAME)
    table = rr.spec_validation_table()
    respond_fn = respond_fn or respond
    c.eq("top-level fields", ["cases", "description"], sorted(neg))
    by_name = {x.get("name"): x for x in pos.get("cases", [])}
    for i, case in enumerate(neg.get("cases", [])):
        p = f"cases[{i}] (id {case.get('id')}, {case.get('validation_id')}, {case.get('operation')})"
        fields = sorted(NEG_CASE_FIELDS + (["expected_initiator"] if case.get("operation") == "respond" else []))
        c.eq(f"{p}: fields", fields, sorted(case))
        c.eq(f"{p}: id", i + 1, case.get("id"))
        try:
            data, op = bytes.fromhex(case["input"]), case["operation"]
            if op == "decode_bundle":
                run = lambda: decode_bundle(data)  # noqa: E731
            elif op == "verify_bundle":
                try:
                    bundle = decode_bundle(data)
                except ProtocolError as e:
                    raise VectorError(f"7.10: the input of verify_bundle must decode: {e}") from e
                run = lambda: verify_bundle(bundle)  # noqa: E731
            elif op == "decode_initial":
                run = lambda: decode_initial(data)  # noqa: E731
            elif op == "respond":
                source = by_name.get(case["store"])
                if source is None:
                    raise VectorError(f"store {case['store']!r} is not a case of handshake.json")
                store, rng = rebuild_store(source, pos["now"])
                expected = bytes.fromhex(case["expected_initiator"])
                if len(expected) != 64:
                    raise VectorError("7.11: expected_initiator is 64 bytes")
                if case["accepted_first"]:
                    own = bytes.fromhex(source["alice"]["encoded"])
                    respond(store, decode_initial(bytes.fromhex(source["initial_message"])), rng, False, own)
                try:
                    msg = decode_initial(data)
                except ProtocolError as e:
                    raise VectorError(f"7.10: the input of respond must decode: {e}") from e
                require = case["require_post_quantum"]
                run = lambda: rr._refusing(lambda: store_snapshot(store),  # noqa: E731
                                           lambda: respond_fn(store, msg, rng, require, expected))
            else:
                c.fail(p, f"unknown operation {op!r} (7.10 lists decode_bundle, verify_bundle, decode_initial, "
                          f"respond)")
                continue
            if op != "respond":
                c.eq(f"{p}: accepted_first and require_post_quantum (respond only)", [False, False],
                     [case["accepted_first"], case["require_post_quantum"]])
            rr.check_negative_case(c, p, case, table, run)
        except (VectorError, ProtocolError, KeyError, ValueError, TypeError) as e:
            c.fail(f"{p}: aborted", f"{type(e).__name__}: {e}")
    ids = {i for i in table if i.startswith("HS-")}
    covered = {case.get("validation_id") for case in neg.get("cases", [])}
    c.eq("7.10: HS- IDs of section 5 without a case", [], sorted(ids - covered))
    return c


def report_negative(c: Checker, neg: dict) -> bool:
    for e in c.errors[:MAX_SHOWN]:
        print(e)
    if c.errors:
        print(f"{NEG_FNAME}: FAIL: {len(c.errors)} mismatch(es) in {c.checks} checks")
        return False
    ops = sorted({x["operation"] for x in neg["cases"]})
    print(f"{NEG_FNAME}: OK: {len(neg['cases'])} cases ({', '.join(ops)}) refused with their validation IDs, "
          f"{c.checks} checks: all match")
    return True


def negative_self_test(neg: dict, pos: dict) -> bool:
    cases = neg["cases"]

    def first(pred):
        return next(i for i, x in enumerate(cases) if pred(x))

    def setf(i, k, fn):
        return lambda d: d["cases"][i].__setitem__(k, fn(d["cases"][i][k]))

    by_name = {x["name"]: x for x in pos["cases"]}
    hs10 = first(lambda x: x["validation_id"] == "HS-10")
    hs09 = first(lambda x: x["validation_id"] == "HS-09")
    hs06 = first(lambda x: x["validation_id"] == "HS-06")
    hs04 = first(lambda x: x["operation"] == "verify_bundle" and x["validation_id"] == "HS-04")
    hs11 = first(lambda x: x["validation_id"] == "HS-11")
    tag = lambda i: f"cases[{i}] (id {i + 1}, {cases[i]['validation_id']}, {cases[i]['operation']}): refusal ID"  # noqa: E731
    muts = [
        ("case 1: validation_id changed to HS-02", setf(0, "validation_id", lambda _: "HS-02"),
         f"cases[0] (id 1, HS-02, {cases[0]['operation']}): refusal ID"),
        (f"case {hs10 + 1}: input replaced by its store case's own initial message (accepted)",
         setf(hs10, "input", lambda _: by_name[cases[hs10]["store"]]["initial_message"]), tag(hs10)),
        (f"case {hs09 + 1}: accepted_first false (no replay)", setf(hs09, "accepted_first", lambda _: False), tag(hs09)),
        (f"case {hs06 + 1}: require_post_quantum false", setf(hs06, "require_post_quantum", lambda _: False), tag(hs06)),
        (f"case {hs11 + 1}: expected_initiator replaced by the message's own initiator (accepted)",
         setf(hs11, "expected_initiator", lambda _: bytes.fromhex(cases[hs11]["input"])[2:66].hex()), tag(hs11)),
        (f"case {hs04 + 1}: input replaced by the untampered bundle",
         setf(hs04, "input", lambda _: by_name[cases[hs04]["store"]]["bundle"]), tag(hs04)),
        ("unknown operation", setf(0, "operation", lambda _: "frobnicate"), "unknown operation 'frobnicate'"),
        ("drop every HS-07 case",
         lambda d: d.__setitem__("cases", [x for x in d["cases"] if x["validation_id"] != "HS-07"]), "without a case"),
    ]
    ok, n = True, 0
    for desc, mutate, expect in muts:
        w = copy.deepcopy(neg)
        mutate(w)
        n += 1
        errs = run_negative(w, pos).errors
        if not any(expect in e for e in errs):
            print(f"self-test: {NEG_FNAME}: mutation NOT detected at '{expect}': {desc}"
                  + (f"; first report: {errs[0]}" if errs else ""))
            ok = False

    def leaky(store, msg, rng, require, expected):  # a responder that records the message before refusing it
        store.replay.add((msg["spk_id"], b"leak"))
        return respond(store, msg, rng, require, expected)

    n += 1
    if not any("state unchanged by the refusal" in e for e in run_negative(neg, pos, leaky).errors):
        print(f"self-test: {NEG_FNAME}: a refusal that changed the store was NOT detected")
        ok = False
    print(f"self-test: {NEG_FNAME}: {n} mutations: {'all detected' if ok else 'SOME NOT DETECTED'}")
    return ok


# ---------------------------------------------------------------- --self-test
def mutations(v: dict) -> list[tuple[str, object, str]]:
    """(description, mutate(copy), substring the report must contain)."""
    def setf(path, fn):
        def go(d):
            *parents, last = path
            for k in parents:
                d = d[k]
            d[last] = fn(d[last])
        return go

    def flip(path, byte):
        return setf(path, lambda x: _flip(x, byte if byte >= 0 else len(x) // 2 + byte))

    muts = [
        ("add an unknown top-level field", lambda d: d.__setitem__("extra", 1), "top-level fields"),
        ("flip a byte of labels[6].hex", flip(["labels", 6, "hex"], 3), "labels[6]"),
        ("now + 1", setf(["now"], lambda x: x + 1), "signed_prekey.timestamp"),
    ]
    for i, x in enumerate(v["cases"]):
        p = f"cases[{i}] ({x['name']})"
        C = ["cases", i]
        muts += [
            (f"{p}: flip byte 0 of dh_outputs[0] (DH1)", flip(C + ["dh_outputs", 0], 0), f"{p}: dh_outputs[0] (DH1"),
            (f"{p}: flip the last byte of dh_outputs[2] (DH3)", flip(C + ["dh_outputs", 2], -1),
             f"{p}: dh_outputs[2] (DH3"),
            (f"{p}: flip a byte of the bundle (spk_id)", flip(C + ["bundle"], 66), f"{p}: bundle"),
            (f"{p}: flip the last byte of the bundle", flip(C + ["bundle"], -1), f"{p}: bundle"),
            (f"{p}: flip a byte of signed_prekey.signature", flip(C + ["signed_prekey", "signature"], 40),
             f"{p}: signed_prekey.signature"),
            (f"{p}: flip a byte of the SPK signature inside the bundle", flip(C + ["bundle"], 1 + 64 + 4 + 8 + 1 + 32 + 5),
             "HS-04"),
            (f"{p}: flip a byte of signed_prekey.signed_message", flip(C + ["signed_prekey", "signed_message"], 25),
             f"{p}: signed_prekey.signed_message"),
            (f"{p}: signed_prekey.timestamp + 1", setf(C + ["signed_prekey", "timestamp"], lambda t: t + 1),
             f"{p}: signed_prekey.timestamp"),
            (f"{p}: signed_prekey.id + 1", setf(C + ["signed_prekey", "id"], lambda t: t + 1),
             f"{p}: signed_prekey.id"),
            (f"{p}: flip a byte of alice.identity_public", flip(C + ["alice", "identity_public"], 7),
             f"{p}: alice.identity_public"),
            (f"{p}: flip a byte of bob.signing_public", flip(C + ["bob", "signing_public"], 7),
             f"{p}: bob.signing_public"),
            (f"{p}: flip a byte of ephemeral_public", flip(C + ["ephemeral_public"], 0), f"{p}: ephemeral_public"),
            (f"{p}: flip a byte of ikm (inside DH2)", flip(C + ["ikm"], 70), f"{p}: ikm"),
            (f"{p}: flip a byte of session_secret", flip(C + ["session_secret"], 31), f"{p}: session_secret"),
            (f"{p}: flip a byte of associated_data", flip(C + ["associated_data"], 100), f"{p}: associated_data"),
            (f"{p}: flip a byte of ratchet_message", flip(C + ["ratchet_message"], 50), f"{p}: ratchet_message"),
            (f"{p}: flip the last byte of initial_message (ratchet tag)", flip(C + ["initial_message"], -1), "HS-10"),
            (f"{p}: flip the flags byte of initial_message", flip(C + ["initial_message"], 1), f"{p}: initial_message"),
            (f"{p}: flip a byte of reply_message", flip(C + ["reply_message"], 60), f"{p}: reply_message"),
            (f"{p}: flip a byte of first_plaintext", flip(C + ["first_plaintext"], 0), f"{p}: ratchet_message"),
            (f"{p}: append an unused draw to bob_random_draws",
             lambda d, i=i: d["cases"][i]["bob_random_draws"].append("00" * 32), f"{p}: bob_random_draws: number consumed"),
            (f"{p}: append an unused draw to alice_random_draws",
             lambda d, i=i: d["cases"][i]["alice_random_draws"].append("00" * 16),
             f"{p}: alice_random_draws: number consumed"),
            (f"{p}: shorten alice_random_draws[2] (EK_a) by one byte",
             setf(C + ["alice_random_draws", 2], lambda s: s[:-2]), "alice_random_draws[2] is 31 bytes"),
            (f"{p}: swap Alice's identity draws", lambda d, i=i: d["cases"][i]["alice_random_draws"].__setitem__(
                slice(0, 2), d["cases"][i]["alice_random_draws"][1::-1]), f"{p}: alice.signing_seed"),
            (f"{p}: drop the last draw of bob (reply ratchet key)",
             lambda d, i=i: d["cases"][i]["bob_random_draws"].pop(), "draw #"),
            (f"{p}: one more one-time prekey in the policy",
             setf(C + ["policy", "one_time_prekeys"], lambda n: n + 1), f"{p}: "),
            (f"{p}: delete ikm", lambda d, i=i: d["cases"][i].pop("ikm"), f"{p}: field set"),
            (f"{p}: drop dh_outputs[-1]", lambda d, i=i: d["cases"][i]["dh_outputs"].pop(), f"{p}: dh_outputs"),
            (f"{p}: swap DH2 and DH3", lambda d, i=i: d["cases"][i]["dh_outputs"].__setitem__(
                slice(1, 3), d["cases"][i]["dh_outputs"][2:0:-1]), f"{p}: dh_outputs[1] (DH2"),
            (f"{p}: mode swapped", setf(C + ["mode"], lambda m: "x3dh" if m == "pqxdh" else "pqxdh"), f"{p}: mode"),
            (f"{p}: upper-case session_secret", setf(C + ["session_secret"], str.upper), f"{p}: session_secret"),
        ]
        if x["one_time_prekey"] is not None:
            muts += [
                (f"{p}: one_time_prekey.id + 1", setf(C + ["one_time_prekey", "id"], lambda t: t + 1),
                 f"{p}: one_time_prekey.id"),
                (f"{p}: flip a byte of dh_outputs[3] (DH4)", flip(C + ["dh_outputs", 3], 16), f"{p}: dh_outputs[3] (DH4"),
                (f"{p}: flip a byte of the OPK public key inside the bundle", flip(C + ["bundle"], 176 - 1 + 5 + 3),
                 f"{p}: bundle"),
                (f"{p}: one_time_prekey set to null", setf(C + ["one_time_prekey"], lambda o: None),
                 f"{p}: one_time_prekey (present)"),
            ]
        else:
            muts.append((f"{p}: an invented one_time_prekey", setf(C + ["one_time_prekey"], lambda o: {
                "id": 9, "private": "11" * 32, "public": "22" * 32}), f"{p}: one_time_prekey (present)"))
        if x["kem_prekey"] is not None:
            off = 1 + 64 + 4 + 8 + 1 + 32 + 64 + (37 if x["one_time_prekey"] else 1)
            muts += [
                (f"{p}: flip a byte of kem_prekey.signature", flip(C + ["kem_prekey", "signature"], 3),
                 f"{p}: kem_prekey.signature"),
                (f"{p}: flip a byte of the ML-KEM signature inside the bundle", flip(C + ["bundle"], -10), "HS-04"),
                (f"{p}: flip a byte of kem_prekey.public", flip(C + ["kem_prekey", "public"], 600),
                 f"{p}: kem_prekey.public"),
                (f"{p}: kem_prekey.kind changed", setf(C + ["kem_prekey", "kind"], lambda k: 3 - k),
                 f"{p}: kem_prekey.kind"),
                (f"{p}: set the ML-KEM kind byte inside the bundle to 0x03",
                 setf(C + ["bundle"], lambda b, o=off: b[:2 * (o + 1)] + "03" + b[2 * (o + 2):]), "HS-03"),
                (f"{p}: flip a byte of kem_prekey.seed", flip(C + ["kem_prekey", "seed"], 40), f"{p}: kem_prekey.seed"),
                (f"{p}: flip a byte of kem_encapsulation_message", flip(C + ["kem_encapsulation_message"], 0),
                 f"{p}: kem_encapsulation_message"),
                (f"{p}: flip a byte of kem_ciphertext", flip(C + ["kem_ciphertext"], 500), f"{p}: kem_ciphertext"),
                (f"{p}: flip a byte of kem_shared_secret", flip(C + ["kem_shared_secret"], 5), f"{p}: kem_shared_secret"),
                (f"{p}: flip a byte of CT inside initial_message (implicit rejection, HS-10)",
                 flip(C + ["initial_message"], 102 + (4 if x["one_time_prekey"] else 0) + 5 + 100), "HS-10"),
                (f"{p}: kem_ciphertext set to null", setf(C + ["kem_ciphertext"], lambda o: None), f"{p}: kem_ciphertext"),
            ]
    return muts


def self_test(v: dict) -> bool:
    ok, n = True, 0
    for desc, mutate, expect in mutations(v):
        w = copy.deepcopy(v)
        mutate(w)
        errs = all_errors(*run_file(w))
        n += 1
        if not errs:
            print(f"self-test: mutation NOT detected: {desc}")
            ok = False
        elif not any(expect in e for e in errs):
            print(f"self-test: mutation '{desc}' reported, but not at '{expect}'; first report:\n  {errs[0]}")
            ok = False
    # the decoders and the verifier on crafted inputs (spec rules, not vectors)
    x = v["cases"][0]
    b = bytes.fromhex(x["bundle"])
    crafted = [
        ("empty bundle", lambda: decode_bundle(b""), "HS-01"),
        ("bundle with the old unversioned byte 0x01", lambda: decode_bundle(b"\x01" + b[1:]), "HS-01"),
        ("bundle with an initial message's tag 0x13", lambda: decode_bundle(b"\x13" + b[1:]), "HS-01"),
        ("bundle cut by one byte", lambda: decode_bundle(b[:-1]), "HS-02"),
        ("bundle with a trailing byte", lambda: decode_bundle(b + b"\x00"), "HS-02"),
        ("bundle pq = 0x02", lambda: decode_bundle(b[:77] + b"\x02" + b[78:]), "HS-03"),
        ("bundle opk presence 0x02", lambda: decode_bundle(b[:174] + b"\x02" + b[175:]), "HS-03"),
        ("bundle signing key not a point (y = 2 + p, reduced to 2: no x)",
         lambda: decode_bundle(b[:1] + (2**255 - 17).to_bytes(32, "little") + b[33:]), "HS-03"),
        ("bundle ML-KEM key fails the modulus check",
         lambda: decode_bundle(b[:218] + b"\xff\xff" + b[220:]), "HS-03"),
        ("bundle pq flag cleared (signature covers it)",
         lambda: verify_bundle(decode_bundle(b[:77] + b"\x00" + b[78:])), "HS-04"),
        ("bundle without its ML-KEM prekey (downgrade)", lambda: verify_bundle(dict(decode_bundle(b), kem=None)), "HS-05"),
        ("initial message flags 0x07", lambda: decode_initial(b"\x13\x07" + bytes.fromhex(x["initial_message"])[2:]),
         "HS-03"),
        ("initial message without its ratchet message",
         lambda: decode_initial(bytes.fromhex(x["initial_message"])[:-len(x["ratchet_message"]) // 2]), "HS-02"),
        ("signature with non-canonical S (S + L)", lambda: _raise_if(ed_verify_strict(
            bytes.fromhex(x["bob"]["signing_public"]), bytes.fromhex(x["signed_prekey"]["signed_message"]),
            _sig_s_plus_l(bytes.fromhex(x["signed_prekey"]["signature"])))), "rule 3"),
        ("signature with a small-order R", lambda: _raise_if(ed_verify_strict(
            bytes.fromhex(x["bob"]["signing_public"]), b"m", bytes(32) + bytes(32))), "rule 4"),
        ("small-order public key", lambda: _raise_if(ed_verify_strict(
            (1).to_bytes(32, "little"), b"m", bytes.fromhex(x["signed_prekey"]["signature"]))),
         "rule 2"),
    ]
    for desc, fn, expect in crafted:
        n += 1
        try:
            fn()
            print(f"self-test: crafted input NOT refused: {desc}")
            ok = False
        except (ProtocolError, ValueError) as e:
            if expect not in str(e):
                print(f"self-test: crafted input '{desc}' refused with '{e}', expected {expect}")
                ok = False
    print(f"self-test: {n} mutations and crafted inputs: {'all detected' if ok else 'SOME NOT DETECTED'}")
    return ok


def _sig_s_plus_l(sig: bytes) -> bytes:
    return sig[:32] + (int.from_bytes(sig[32:], "little") + _L_ORDER).to_bytes(32, "little")


def _raise_if(why: str | None) -> None:
    if why:
        raise ValueError(why)


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
    top, cases = run_file(v)
    ok = report(top, cases, v)
    neg = None
    try:
        neg = json.loads((path.parent / NEG_FNAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"{NEG_FNAME}: FAIL: cannot load: {e}")
        ok = False
    if neg is not None:
        ok &= report_negative(run_negative(neg, v), neg)
    if "--self-test" in argv:
        ok &= self_test(v)
        ok &= neg is not None and negative_self_test(neg, v)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
